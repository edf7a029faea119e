"""`trackway runs list`, `runs compare --png` and `events tail` against the local stack, fed by the mlflow client."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import mlflow
import pytest

from trackway.cli.main import main
from trackway_backend.local.process import StackProcess


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()  # drop what the mlflow client printed before
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_runs_list_and_compare_show_the_experiment_with_the_latest_runs(
    local_stack: StackProcess, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pytest.importorskip("matplotlib")
    name = f"cli-{uuid.uuid4().hex[:8]}"
    mlflow.set_tracking_uri(local_stack.url)
    mlflow.set_experiment(name)
    run_ids = []
    for accuracy in (0.91, 0.87):
        with mlflow.start_run() as run:
            mlflow.log_metrics({"accuracy": accuracy, "f1": accuracy - 0.01})
        run_ids.append(run.info.run_id)
    code, out = _cli(capsys, "--tracking-uri", local_stack.url, "runs", "list")
    assert code == 0 and out.splitlines()[0].startswith(f"Experiment {name!r}") and "most recent run" in out
    assert all(run_id in out for run_id in run_ids)
    png = tmp_path / "compare.png"
    code, out = _cli(capsys, "--tracking-uri", local_stack.url, "runs", "compare", *run_ids, "--png", str(png))
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_events_tail_replays_with_since_start_and_skips_history_from_now(
    local_stack: StackProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    client = mlflow.MlflowClient(local_stack.url)
    client.create_registered_model(f"cli-events-{uuid.uuid4().hex[:8]}")
    deadline = time.monotonic() + 30
    out = ""
    while not out and time.monotonic() < deadline:  # the publisher polls the stream: events come a moment later
        code, out = _cli(capsys, "--tracking-uri", local_stack.url, "events", "tail", "--once", "--since", "start")
        time.sleep(0.2)
    assert code == 0 and out
    assert all("detail-type" in json.loads(line) for line in out.splitlines())
    code, out = _cli(capsys, "--tracking-uri", local_stack.url, "events", "tail", "--once", "--since", "now")
    assert code == 0 and out == ""  # the events above are history now
