"""Data survives a restart of the local stack, as MLflow's local mlruns does."""

from __future__ import annotations

from pathlib import Path

import mlflow

from trackway_backend.local.process import StackProcess


def test_runs_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with StackProcess(data) as stack:
        mlflow.set_tracking_uri(stack.url)
        mlflow.set_experiment("persisted")
        with mlflow.start_run(run_name="before-restart") as run:
            mlflow.log_param("p", "1")
            mlflow.log_metric("m", 0.5, step=3)
        port = stack.port
    with StackProcess(data, port=port) as stack:
        client = mlflow.MlflowClient(stack.url)
        stored = client.get_run(run.info.run_id)
        assert stored.info.run_name == "before-restart"
        assert stored.data.params == {"p": "1"} and stored.data.metrics == {"m": 0.5}
        experiment = client.get_experiment_by_name("persisted")
        assert experiment is not None
        assert [r.info.run_id for r in client.search_runs([experiment.experiment_id])] == [run.info.run_id]


def test_sigterm_stops_the_stack_cleanly(tmp_path: Path) -> None:
    stack = StackProcess(tmp_path / "data").start()
    assert stack.stop() == 0
