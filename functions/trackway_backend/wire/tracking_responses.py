"""Domain entities rendered as MLflow JSON (proto field names; NaN/±Inf as strings)."""

from __future__ import annotations

import math
from typing import Any

from trackway_backend.domain import Experiment, LoggedModel, Metric, Run


def double(value: float) -> float | str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def paged(field: str, items: list[dict[str, Any]], next_page_token: str | None) -> dict[str, Any]:
    """A page of results; `next_page_token` is omitted on the last page, as MLflow does."""
    body: dict[str, Any] = {field: items}
    if next_page_token:
        body["next_page_token"] = next_page_token
    return body


def key_values(mapping: dict[str, str]) -> list[dict[str, str]]:
    return [{"key": key, "value": value} for key, value in mapping.items()]


def experiment(entity: Experiment) -> dict[str, Any]:
    return {
        "experiment_id": entity.experiment_id,
        "name": entity.name,
        "artifact_location": entity.artifact_location,
        "lifecycle_stage": entity.lifecycle_stage.value,
        "creation_time": entity.creation_time,
        "last_update_time": entity.last_update_time,
        "tags": key_values(entity.tags),
    }


def metric(entity: Metric, run_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "key": entity.key,
        "value": double(entity.value),
        "timestamp": entity.timestamp,
        "step": entity.step,
    }
    for name in ("model_id", "dataset_name", "dataset_digest"):
        if (value := getattr(entity, name)) is not None:
            body[name] = value
    if run_id is not None:
        body["run_id"] = run_id
    return body


def run_info(entity: Run) -> dict[str, Any]:
    info: dict[str, Any] = {
        "run_id": entity.run_id,
        "run_uuid": entity.run_id,
        "run_name": entity.run_name,
        "experiment_id": entity.experiment_id,
        "user_id": entity.user_id,
        "status": entity.status.value,
        "start_time": entity.start_time,
        "artifact_uri": entity.artifact_uri,
        "lifecycle_stage": entity.lifecycle_stage.value,
    }
    if entity.end_time is not None:
        info["end_time"] = entity.end_time
    return info


def run(entity: Run) -> dict[str, Any]:
    return {
        "info": run_info(entity),
        "data": {
            "metrics": [metric(value) for value in entity.metrics.values()],
            "params": key_values(entity.params),
            "tags": key_values(entity.tags),
        },
        "inputs": {
            "dataset_inputs": [
                {
                    "tags": key_values(item.tags),
                    "dataset": {key: value for key, value in vars(item.dataset).items() if value is not None},
                }
                for item in entity.inputs
            ],
            "model_inputs": [{"model_id": model_id} for model_id in entity.model_inputs],
        },
        "outputs": {"model_outputs": [{"model_id": model_id, "step": step} for model_id, step in entity.model_outputs]},
    }


def logged_model(entity: LoggedModel) -> dict[str, Any]:
    info: dict[str, Any] = {
        "model_id": entity.model_id,
        "experiment_id": entity.experiment_id,
        "name": entity.name,
        "artifact_uri": entity.artifact_location,
        "status": entity.status.value,
        "creation_timestamp_ms": entity.creation_timestamp,
        "last_updated_timestamp_ms": entity.last_updated_timestamp,
        "tags": key_values(entity.tags),
        "registrations": [],
    }
    for name in ("model_type", "source_run_id"):
        if (value := getattr(entity, name)) is not None:
            info[name] = value
    metrics = [metric(m, m.run_id) | {"model_id": entity.model_id} for m in entity.metrics]
    return {"info": info, "data": {"params": key_values(entity.params), "metrics": metrics}}
