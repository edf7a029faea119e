"""trackway: an MLflow-style SDK for the trackway serverless tracking backend.

import trackway
trackway.set_experiment("pytorch-classification")
with trackway.start_run(run_name="simplenet") as run:
    trackway.log_params(config)
    trackway.log_metric("train_loss", loss, step=epoch)   # queued; sent in the background
    trackway.log_artifact("confusion_matrix.png", "plots")
trackway.register_model(f"runs:/{run.info.run_id}/model", "iris-classifier")
"""

from __future__ import annotations

from trackway._version import __version__
from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.entities import Experiment, Metric, ModelVersion, Run, RunData, RunInfo
from trackway.errors import ConfigurationError, RestError, TrackwayError, UnreachableError
from trackway.fluent import (
    active_run,
    client,
    configure,
    delete_alias,
    download_artifacts,
    download_model,
    end_run,
    flush,
    get_tracking_uri,
    get_version_by_alias,
    log_artifact,
    log_artifacts,
    log_metric,
    log_metrics,
    log_param,
    log_params,
    register_model,
    reset,
    set_alias,
    set_experiment,
    set_tag,
    set_tags,
    set_tracking_uri,
    start_run,
)
from trackway.runs import ActiveRun

__all__ = [
    "ActiveRun",
    "ConfigurationError",
    "Experiment",
    "Metric",
    "ModelVersion",
    "RestError",
    "Run",
    "RunData",
    "RunInfo",
    "Settings",
    "TrackwayClient",
    "TrackwayError",
    "UnreachableError",
    "__version__",
    "active_run",
    "client",
    "configure",
    "delete_alias",
    "download_artifacts",
    "download_model",
    "end_run",
    "flush",
    "get_tracking_uri",
    "get_version_by_alias",
    "log_artifact",
    "log_artifacts",
    "log_metric",
    "log_metrics",
    "log_param",
    "log_params",
    "register_model",
    "reset",
    "set_alias",
    "set_experiment",
    "set_tag",
    "set_tags",
    "set_tracking_uri",
    "start_run",
]
