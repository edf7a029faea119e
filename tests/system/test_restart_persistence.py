"""Data survives a restart of the local stack, as MLflow's local mlruns does, and SIGTERM stops it cleanly.

One restart covers all three: the runs, the registry and its event log are written before the SIGTERM and read
after the restart (each stack start is several seconds of CI time, so they share one)."""

from __future__ import annotations

import time
from pathlib import Path

import mlflow
import requests

from trackway_backend.local.process import StackProcess


def registry_events(url: str) -> list[str]:
    body = requests.get(f"{url}/_local/events", params={"limit": 10_000}, timeout=10).json()
    return [e["detail-type"] for e in body["events"] if e["source"] == "trackway.registry"]


def wait_for_registry_events(url: str, count: int) -> list[str]:
    deadline = time.monotonic() + 30
    while len(found := registry_events(url)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return found


def test_a_restart_keeps_runs_the_registry_and_the_event_log_without_publishing_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    stack = StackProcess(data).start()
    try:
        mlflow.set_tracking_uri(stack.url)
        mlflow.set_experiment("persisted")
        with mlflow.start_run(run_name="before-restart") as run:
            mlflow.log_param("p", "1")
            mlflow.log_metric("m", 0.5, step=3)
        mlflow.MlflowClient(stack.url, stack.url).create_registered_model("persisted")
        assert wait_for_registry_events(stack.url, 1) == ["registered_model.created"]
        port = stack.port
    finally:
        stopped = stack.stop()
    assert stopped == 0  # SIGTERM stops the stack cleanly

    with StackProcess(data, port=port) as stack:
        client = mlflow.MlflowClient(stack.url, stack.url)
        stored = client.get_run(run.info.run_id)
        assert stored.info.run_name == "before-restart"
        assert stored.data.params == {"p": "1"} and stored.data.metrics == {"m": 0.5}
        experiment = client.get_experiment_by_name("persisted")
        assert experiment is not None
        assert [r.info.run_id for r in client.search_runs([experiment.experiment_id])] == [run.info.run_id]

        client.create_model_version("persisted", f"{client.create_run('0').info.artifact_uri}/1")
        assert wait_for_registry_events(stack.url, 2) == ["registered_model.created", "model_version.created"]
        time.sleep(1)  # a second poll round would show any re-published record
        assert registry_events(stack.url) == ["registered_model.created", "model_version.created"]
        assert client.get_registered_model("persisted").latest_versions[0].version == "1"
