"""`make demo` finds its stack as `make run` names it, and never starts a second one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.py"


@pytest.fixture
def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("trackway_demo", DEMO)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["trackway_demo"] = module
    spec.loader.exec_module(module)
    return module


def test_the_url_follows_url_then_trackway_url_then_trackway_port(demo: Any) -> None:
    assert demo.stack_url(None, {}) == "http://127.0.0.1:5000"
    assert demo.stack_url(None, {"TRACKWAY_PORT": "5055"}) == "http://127.0.0.1:5055"
    both = {"TRACKWAY_PORT": "5055", "TRACKWAY_URL": "http://127.0.0.1:6000/"}
    assert demo.stack_url(None, both) == "http://127.0.0.1:6000"
    assert demo.stack_url("http://127.0.0.1:7000", both) == "http://127.0.0.1:7000"


class _Started:
    ports: list[int | None] = []

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        _Started.ports.append(port)
        self.url = f"http://127.0.0.1:{port}"

    def __enter__(self) -> _Started:
        return self

    def __exit__(self, *_: object) -> None:
        return None


def test_a_stack_that_answers_is_used_and_none_is_started(demo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _Started.ports = []
    monkeypatch.setattr("trackway_backend.local.process.StackProcess", _Started)
    monkeypatch.setattr(demo, "answers", lambda url: True)
    with demo.local_stack("http://127.0.0.1:5055") as url:
        assert url == "http://127.0.0.1:5055"
    assert _Started.ports == []


def test_when_nothing_answers_a_stack_starts_on_that_port(
    demo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _Started.ports = []
    monkeypatch.setattr("trackway_backend.local.process.StackProcess", _Started)
    monkeypatch.setattr(demo, "answers", lambda url: False)
    monkeypatch.setenv("TRACKWAY_DEMO_DATA_DIR", str(tmp_path))
    with demo.local_stack("http://127.0.0.1:5055") as url:
        assert url == "http://127.0.0.1:5055"
    assert _Started.ports == [5055]
    with (
        pytest.raises(SystemExit, match=r"only starts a stack on 127\.0\.0\.1"),
        demo.local_stack("https://api.example"),
    ):
        pass


def test_the_demo_keeps_to_its_own_names(demo: Any) -> None:
    assert demo.EXPERIMENT == "trackway-demo" and demo.MODEL == "trackway-demo-iris"
    source = DEMO.read_text()
    assert "iris-classification" not in source
