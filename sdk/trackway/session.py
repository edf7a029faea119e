"""The state behind the fluent API: settings, the client, the background logger and the run stack."""

from __future__ import annotations

import getpass
import sys
import threading
import time
from pathlib import Path
from typing import Any

from trackway import hooks
from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.entities import Experiment
from trackway.errors import TrackwayError
from trackway.flusher import BackgroundLogger
from trackway.runs import ActiveRun, placeholder_run
from trackway.spool import Spool
from trackway.tracking import API, now_ms


class Session:
    """One configuration of the SDK. The fluent functions use a process-wide one; tests build their own."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.enabled = settings.logs_enabled
        self._client: TrackwayClient | None = None
        self._logger: BackgroundLogger | None = None
        self._runs: list[ActiveRun] = []
        self._experiment_id: str | None = None
        self._lock = threading.RLock()
        self._closed = False

    @property
    def client(self) -> TrackwayClient:
        if self._client is None:
            self._client = TrackwayClient(settings=self.settings)
        return self._client

    @property
    def logger(self) -> BackgroundLogger:
        with self._lock:
            if self._logger is None:
                self._logger = BackgroundLogger(
                    self.client.rest,
                    Spool(self.settings.spool_path),
                    flush_interval=self.settings.flush_interval,
                    probe_interval=self.settings.probe_interval,
                ).start()
                hooks.register(self, self.settings.handle_signals)
            return self._logger

    def set_experiment(self, name: str | None = None, experiment_id: str | None = None) -> Experiment | None:
        if not self.enabled:
            return None
        if experiment_id is not None:
            experiment = self.client.get_experiment(experiment_id)
        elif name:
            experiment = self.client.get_or_create_experiment(name)
        else:
            raise ValueError("pass an experiment name or experiment_id")
        self._experiment_id = experiment.experiment_id
        return experiment

    def _default_experiment(self) -> str:
        if self._experiment_id is None and self.settings.experiment_name:
            self.set_experiment(self.settings.experiment_name)
        return self._experiment_id or "0"

    def start_run(
        self,
        run_id: str | None = None,
        experiment_id: str | None = None,
        run_name: str | None = None,
        nested: bool = False,
        tags: dict[str, Any] | None = None,
    ) -> ActiveRun:
        if not self.enabled:
            return placeholder_run()
        with self._lock:
            if self._runs and not nested:
                raise TrackwayError(
                    f"run {self._runs[-1].info.run_id} is already active; end it first or pass nested=True"
                )
            if run_id:
                run = self.client.get_run(run_id)
                if run.info.status != "RUNNING":
                    self.client.update_run(run_id, "RUNNING")
            else:
                all_tags = {
                    "mlflow.user": getpass.getuser(),
                    "mlflow.source.name": sys.argv[0] or "python",
                    "mlflow.source.type": "LOCAL",
                    **{k: str(v) for k, v in (tags or {}).items()},
                }
                if self._runs:
                    all_tags["mlflow.parentRunId"] = self._runs[-1].info.run_id
                if self.settings.all_ranks and self.settings.world_size > 1:
                    all_tags["trackway.rank"] = str(self.settings.rank)
                run = self.client.create_run(experiment_id or self._default_experiment(), run_name, all_tags)
            active = ActiveRun(run, self)
            self._runs.append(active)
            self.logger  # noqa: B018 - start the flusher now: it replays what a crashed job spooled
            return active

    def active_run(self) -> ActiveRun | None:
        return self._runs[-1] if self._runs else None

    def _run_id(self) -> str:
        runs = self._runs
        return runs[-1].info.run_id if runs else self.start_run().info.run_id

    def end_run(self, status: str = "FINISHED", run_id: str | None = None) -> None:
        if not self.enabled:
            return
        with self._lock:
            matching = [r for r in self._runs if run_id in (None, r.info.run_id)]
            if not matching:
                return
            target = matching[-1]
            self._runs.remove(target)
        body = {
            "run_id": target.info.run_id,
            "run_uuid": target.info.run_id,
            "status": status,
            "end_time": now_ms(),
        }
        # In order after everything the run logged; spooled with it if the API is unreachable.
        logger = self.logger
        logger.submit("POST", f"{API}/runs/update", body)
        logger.flush(self.settings.exit_timeout + 5.0)

    def log_metric(
        self,
        key: str,
        value: float,
        step: int | None = None,
        timestamp: int | None = None,
        run_id: str | None = None,
    ) -> None:
        if not self.enabled:
            return
        logger = self._logger or self.logger
        logger.log_metric(
            run_id or self._run_id(),
            key,
            float(value),
            int(time.time() * 1000) if timestamp is None else timestamp,
            step or 0,
        )

    def log_metrics(
        self,
        metrics: dict[str, float],
        step: int | None = None,
        timestamp: int | None = None,
        run_id: str | None = None,
    ) -> None:
        stamp = int(time.time() * 1000) if timestamp is None else timestamp
        for key, value in metrics.items():
            self.log_metric(key, value, step, stamp, run_id)

    def log_param(self, key: str, value: Any, run_id: str | None = None) -> None:
        if self.enabled:
            self.logger.log_param(run_id or self._run_id(), key, str(value))

    def set_tag(self, key: str, value: Any, run_id: str | None = None) -> None:
        if self.enabled:
            self.logger.set_tag(run_id or self._run_id(), key, str(value))

    def flush(self, timeout: float | None = None) -> bool:
        return True if self._logger is None else self._logger.flush(timeout)

    def artifact_uri(self, run_id: str | None = None) -> str:
        """The artifact root of `run_id`, or of the active run."""
        active = self.active_run()
        if run_id is None or (active is not None and active.info.run_id == run_id):
            if active is None:
                raise TrackwayError("no active run: start one or pass run_id")
            info = active.info
        else:
            info = self.client.get_run(run_id).info
        return info.artifact_uri or f"mlflow-artifacts:/{info.experiment_id}/{info.run_id}/artifacts"

    def log_artifact(self, local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None) -> None:
        if self.enabled:
            self.client.log_artifact(self.artifact_uri(run_id), local_path, artifact_path)

    def log_artifacts(self, local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None) -> None:
        if self.enabled:
            self.client.log_artifacts(self.artifact_uri(run_id), local_dir, artifact_path)

    def shutdown(self, status: str = "FINISHED") -> None:
        """End active runs with `status`, flush (bounded by exit_timeout, then spool) and stop the thread."""
        if self._closed:
            return
        self._closed = True
        hooks.unregister(self)
        while self._runs:
            self.end_run(status, self._runs[-1].info.run_id)
        if self._logger is not None:
            self._logger.close(self.settings.exit_timeout)
        if self._client is not None:
            self._client.close()
