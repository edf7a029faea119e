"""The trackway SDK against the local stack: fluent logging, idempotent replays, the CLI tables."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import trackway
from trackway.cli.main import main
from trackway.client import TrackwayClient
from trackway_backend.local.process import StackProcess

pytestmark = pytest.mark.system


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def sdk(local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TrackwayClient:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRACKWAY_HANDLE_SIGNALS", "0")
    monkeypatch.setenv("TRACKWAY_FLUSH_INTERVAL", "0.2")
    trackway.reset()
    trackway.set_tracking_uri(local_stack.url)
    yield trackway.client()
    trackway.reset()


def test_fluent_training_loop_every_point_lands_once(sdk: TrackwayClient) -> None:
    experiment = trackway.set_experiment(unique("sdk pytorch classification"))
    assert experiment is not None
    with trackway.start_run(run_name="simplenet", tags={"team": "vision"}) as run:
        trackway.log_params({"lr": 0.01, "batch size": 64, "optimizer": "adam w"})
        for step in range(2500):
            trackway.log_metrics({"train_loss": 1.0 / (step + 1), "acc": step / 2500}, step=step)
        trackway.set_tag("phase", "done")
    stored = sdk.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED" and stored.info.end_time
    assert stored.data.params == {"lr": "0.01", "batch size": "64", "optimizer": "adam w"}
    assert stored.data.tags["team"] == "vision" and stored.data.tags["phase"] == "done"
    for key in ("train_loss", "acc"):
        assert sorted(m.step for m in sdk.get_metric_history(run.info.run_id, key)) == list(range(2500))
    assert stored.info.artifact_uri.startswith("mlflow-artifacts:/")


def test_replayed_batches_create_no_duplicates(sdk: TrackwayClient) -> None:
    experiment = sdk.get_or_create_experiment(unique("sdk-replay"))
    run = sdk.create_run(experiment.experiment_id)
    metrics = [{"key": "m", "value": float(i), "timestamp": 1_700_000_000_000 + i, "step": i} for i in range(500)]
    for _ in range(3):
        sdk.log_batch(run.info.run_id, metrics, [{"key": "p", "value": "1"}], [{"key": "t", "value": "x"}])
    assert len(sdk.get_metric_history(run.info.run_id, "m")) == 500


def test_spaced_and_repeated_query_values_reach_the_server_intact(sdk: TrackwayClient) -> None:
    name = unique("sdk name with spaces + plus")
    created = sdk.get_or_create_experiment(name)
    found = sdk.get_experiment_by_name(name)
    assert found is not None and found.experiment_id == created.experiment_id


def test_cli_runs_list_show_compare(
    sdk: TrackwayClient, local_stack: StackProcess, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("sdk-cli")
    trackway.set_experiment(name)
    ids = []
    for lr in (0.1, 0.01):
        with trackway.start_run(run_name=f"lr-{lr}") as run:
            trackway.log_param("lr", lr)
            for step in range(20):
                trackway.log_metric("loss", lr * (20 - step), step=step)
        ids.append(run.info.run_id)
    assert main(["--tracking-uri", local_stack.url, "runs", "list", "-e", name]) == 0
    out = capsys.readouterr().out
    assert all(run_id in out for run_id in ids) and "FINISHED" in out
    assert main(["--tracking-uri", local_stack.url, "runs", "show", ids[0]]) == 0
    assert "lr" in capsys.readouterr().out
    png = tmp_path / "compare.png"
    assert main(["--tracking-uri", local_stack.url, "runs", "compare", *ids, "--png", str(png)]) == 0
    assert "* param.lr" in capsys.readouterr().out and png.stat().st_size > 1000


def test_cli_events_tail_once(local_stack: StackProcess, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tracking-uri", local_stack.url, "events", "tail", "--once"]) == 0
    for line in capsys.readouterr().out.splitlines():
        assert isinstance(json.loads(line), dict)
