"""The MLflow-style module-level API (`trackway.start_run`, `trackway.log_metric`…) over one Session."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.entities import Experiment, ModelVersion
from trackway.errors import TrackwayError
from trackway.runs import ActiveRun
from trackway.session import Session

_current: Session | None = None
_lock = threading.Lock()


def _session() -> Session:
    session = _current
    if session is None:
        with _lock:
            session = _current or _install(Session(Settings.from_env()))
    return session


def _install(session: Session) -> Session:
    global _current  # noqa: PLW0603 - the fluent API is process-wide by design (as in mlflow)
    _current = session
    return session


def configure(**overrides: Any) -> Settings:
    """Change SDK settings, e.g. `configure(all_ranks=True, flush_interval=5.0)`; see `Settings`.

    Starts a fresh session (the old one is flushed and closed), so call it before `start_run`.
    """
    with _lock:
        old = _current
        if old is not None and old.active_run() is not None:
            raise TrackwayError("configure() cannot run while a run is active")
        settings = (old.settings if old else Settings.from_env()).with_overrides(**overrides)
        if old is not None:
            old.shutdown()
        _install(Session(settings))
    return settings


def reset() -> None:
    """End active runs, flush, and forget all settings (the next call re-reads the environment)."""
    with _lock:
        if _current is not None:
            _current.shutdown()
        _install_none()


def _install_none() -> None:
    global _current  # noqa: PLW0603
    _current = None


def set_tracking_uri(uri: str) -> None:
    """Use the tracking server at `uri` (default: TRACKWAY_TRACKING_URI, then MLFLOW_TRACKING_URI)."""
    configure(tracking_uri=uri)


def get_tracking_uri() -> str | None:
    """The tracking URI in use, or None."""
    return _session().settings.tracking_uri


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment | None:
    """Make the named experiment (created if missing) the default for new runs; None on non-logging ranks."""
    return _session().set_experiment(experiment_name, experiment_id)


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    tags: dict[str, Any] | None = None,
) -> ActiveRun:
    """Start (or resume, with `run_id`) a run; use it as `with trackway.start_run() as run:`."""
    return _session().start_run(run_id, experiment_id, run_name, nested, tags)


def end_run(status: str = "FINISHED") -> None:
    """Flush what the active run logged and mark it `status` (FINISHED, FAILED or KILLED)."""
    _session().end_run(status)


def active_run() -> ActiveRun | None:
    """The innermost active run, or None."""
    return _session().active_run()


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | None = None,
    *,
    run_id: str | None = None,
) -> None:
    """Queue one metric point; returns immediately (sent in the background by log-batch)."""
    (_current or _session()).log_metric(key, value, step, timestamp, run_id)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    timestamp: int | None = None,
    *,
    run_id: str | None = None,
) -> None:
    """Queue several metrics sharing one step and timestamp."""
    _session().log_metrics(metrics, step, timestamp, run_id)


def log_param(key: str, value: Any, *, run_id: str | None = None) -> None:
    """Queue one param (params are immutable: re-logging a different value is rejected by the server)."""
    _session().log_param(key, value, run_id)


def log_params(params: dict[str, Any], *, run_id: str | None = None) -> None:
    """Queue several params."""
    for key, value in params.items():
        _session().log_param(key, value, run_id)


def set_tag(key: str, value: Any, *, run_id: str | None = None) -> None:
    """Queue one run tag (the last value wins)."""
    _session().set_tag(key, value, run_id)


def set_tags(tags: dict[str, Any], *, run_id: str | None = None) -> None:
    """Queue several run tags."""
    for key, value in tags.items():
        _session().set_tag(key, value, run_id)


def flush(timeout: float | None = None) -> bool:
    """Block until everything logged so far is delivered or safely spooled; False on timeout."""
    return _session().flush(timeout)


def log_artifact(local_path: str | Path, artifact_path: str | None = None, *, run_id: str | None = None) -> None:
    """Upload a file to the run's artifacts (multipart over presigned URLs; parallel and resumable)."""
    _session().log_artifact(local_path, artifact_path, run_id)


def log_artifacts(local_dir: str | Path, artifact_path: str | None = None, *, run_id: str | None = None) -> None:
    """Upload a directory tree to the run's artifacts."""
    _session().log_artifacts(local_dir, artifact_path, run_id)


def download_artifacts(run_id: str, path: str = "", dst_path: str | Path = ".") -> Path:
    """Download a run's artifact file or directory to `dst_path/<path>`; return that local path."""
    session = _session()
    return session.client.download_artifacts(session.artifact_uri(run_id), path, dst_path)


def client() -> TrackwayClient:
    """The explicit client behind the fluent API (same URI and auth)."""
    return _session().client


def register_model(source: str, name: str, tags: dict[str, str] | None = None) -> ModelVersion:
    """Register `source` (`runs:/<run_id>/<path>`, `models:/<id>`, an artifact URI) as a version of `name`."""
    return _session().client.register_model(source, name, tags)


def set_alias(name: str, alias: str, version: str | int) -> None:
    """Point `name@alias` at `version`."""
    _session().client.set_alias(name, alias, version)


def delete_alias(name: str, alias: str) -> None:
    """Remove `name@alias`."""
    _session().client.delete_alias(name, alias)


def get_version_by_alias(name: str, alias: str) -> ModelVersion:
    """The model version `name@alias` points at."""
    return _session().client.get_version_by_alias(name, alias)


def download_model(
    name: str, dst_path: str | Path, *, alias: str | None = None, version: str | int | None = None
) -> Path:
    """Download model `name` by alias or version into `dst_path`."""
    return _session().client.download_model(name, dst_path, alias=alias, version=version)
