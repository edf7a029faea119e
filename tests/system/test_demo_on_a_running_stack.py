"""`make demo` pointed at a running stack uses it, with its own experiment and model names."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import mlflow
import pytest

from trackway_backend.local.process import StackProcess

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


def test_the_demo_uses_the_stack_on_trackway_port(
    local_stack: StackProcess, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sklearn")
    spec = importlib.util.spec_from_file_location("trackway_demo_system", DEMO)
    assert spec and spec.loader
    demo = importlib.util.module_from_spec(spec)
    sys.modules["trackway_demo_system"] = demo
    spec.loader.exec_module(demo)

    def no_second_stack(*_: object, **__: object) -> None:
        raise AssertionError("the demo started a second stack")

    monkeypatch.setattr("trackway_backend.local.process.StackProcess", no_second_stack)
    monkeypatch.delenv("TRACKWAY_URL", raising=False)
    monkeypatch.setenv("TRACKWAY_PORT", str(local_stack.port))
    assert demo.main([]) == 0
    assert f"using the stack at {local_stack.url}" in capsys.readouterr().out
    client = mlflow.MlflowClient(local_stack.url)
    experiment = client.get_experiment_by_name("trackway-demo")
    assert experiment is not None and client.search_runs([experiment.experiment_id])
    assert client.get_experiment_by_name("iris-classification") is None
    assert client.get_registered_model("trackway-demo-iris").aliases.get("champion")
