"""Explicit mapping between tracking entities and their pynamodb items."""

from __future__ import annotations

import json
import zlib
from typing import Any

from trackway_backend.adapters.dynamo.tracking_items import META, ExperimentItem, LoggedModelItem, RunItem
from trackway_backend.domain import (
    Experiment,
    LifecycleStage,
    LoggedModel,
    LoggedModelStatus,
    Metric,
    Run,
    RunStatus,
)


def experiment_to_item(experiment: Experiment) -> ExperimentItem:
    return ExperimentItem(
        pk=f"EXP#{experiment.experiment_id}",
        sk=META,
        gsi1pk="EXPERIMENTS",
        gsi1sk=experiment.experiment_id.zfill(20),
        experiment_id=experiment.experiment_id,
        name=experiment.name,
        artifact_location=experiment.artifact_location,
        lifecycle_stage=experiment.lifecycle_stage.value,
        creation_time=experiment.creation_time,
        last_update_time=experiment.last_update_time,
        tags=experiment.tags,
        revision=experiment.revision,
    )


def experiment_from_item(item: ExperimentItem) -> Experiment:
    return Experiment(
        experiment_id=item.experiment_id,
        name=item.name,
        artifact_location=item.artifact_location,
        lifecycle_stage=LifecycleStage(item.lifecycle_stage),
        creation_time=int(item.creation_time),
        last_update_time=int(item.last_update_time),
        tags=dict(item.tags or {}),
        revision=int(item.revision or 0),
    )


def run_to_item(run: Run, gsi1pk: str) -> RunItem:
    return RunItem(
        pk=f"RUN#{run.run_id}",
        sk=META,
        gsi1pk=gsi1pk,
        gsi1sk=f"{run.start_time:015d}#{run.run_id}",
        run_id=run.run_id,
        experiment_id=run.experiment_id,
        run_name=run.run_name,
        user_id=run.user_id,
        status=run.status.value,
        start_time=run.start_time,
        end_time=run.end_time,
        artifact_uri=run.artifact_uri,
        lifecycle_stage=run.lifecycle_stage.value,
        summary=_compressed_summary(run),
        revision=run.revision,
    )


def _compressed_summary(run: Run) -> bytes:
    """{"params", "tags", "metrics", "datasets"} as JSON, compressed. Metrics are key -> [value, timestamp,
    step, ...] in JSON (DynamoDB numbers cannot hold NaN or ±Inf); datasets are [name, digest, context] of
    the run's inputs, for `datasets.*` filters (omitted when none). The summary is always read whole."""
    summary: dict[str, Any] = {
        "params": run.params,
        "tags": run.tags,
        "metrics": {key: _packed_metric(m) for key, m in run.metrics.items()},
    }
    if run.dataset_keys:
        summary["datasets"] = [list(key) for key in run.dataset_keys]
    return zlib.compress(json.dumps(summary, separators=(",", ":")).encode(), 9)


def _summary_of(item: RunItem) -> dict[str, Any]:
    if item.summary is not None:
        return json.loads(zlib.decompress(item.summary))  # type: ignore[no-any-return]
    return {"params": item.params or {}, "tags": item.tags or {}, "metrics": item.metrics or {}}


def _packed_metric(metric: Metric) -> list[object]:
    """[value, timestamp, step, model_id, dataset_name, dataset_digest] without trailing nulls."""
    packed: list[object] = [metric.value, metric.timestamp, metric.step]
    extras = [metric.model_id, metric.dataset_name, metric.dataset_digest]
    while extras and extras[-1] is None:
        extras.pop()
    return packed + extras


def run_from_item(item: RunItem) -> Run:
    summary = _summary_of(item)
    return Run(
        run_id=item.run_id,
        experiment_id=item.experiment_id,
        run_name=item.run_name,
        user_id=item.user_id,
        status=RunStatus(item.status),
        start_time=int(item.start_time),
        end_time=None if item.end_time is None else int(item.end_time),
        artifact_uri=item.artifact_uri,
        lifecycle_stage=LifecycleStage(item.lifecycle_stage),
        params=dict(summary["params"]),
        tags=dict(summary["tags"]),
        metrics={
            key: Metric(key, float(value[0]), int(value[1]), int(value[2]), *(value[3:6] + [None] * (6 - len(value))))
            for key, value in summary["metrics"].items()
        },
        dataset_keys=[(name, digest, context) for name, digest, context in summary.get("datasets", [])],
        revision=int(item.revision),
    )


def logged_model_to_item(model: LoggedModel) -> LoggedModelItem:
    return LoggedModelItem(
        pk=f"LM#{model.model_id}",
        sk=META,
        gsi1pk=f"LMS#{model.experiment_id}",
        gsi1sk=f"{model.creation_timestamp:015d}#{model.model_id}",
        model_id=model.model_id,
        experiment_id=model.experiment_id,
        name=model.name,
        artifact_location=model.artifact_location,
        status=model.status.value,
        lifecycle_stage=model.lifecycle_stage.value,
        creation_timestamp=model.creation_timestamp,
        last_updated_timestamp=model.last_updated_timestamp,
        model_type=model.model_type,
        source_run_id=model.source_run_id,
        tags=model.tags,
        params=model.params,
        metrics=[_model_metric_to_json(m) for m in model.metrics],
        revision=model.revision,
    )


def logged_model_from_item(item: LoggedModelItem) -> LoggedModel:
    return LoggedModel(
        model_id=item.model_id,
        experiment_id=item.experiment_id,
        name=item.name,
        artifact_location=item.artifact_location,
        status=LoggedModelStatus(item.status),
        lifecycle_stage=LifecycleStage(item.lifecycle_stage),
        creation_timestamp=int(item.creation_timestamp),
        last_updated_timestamp=int(item.last_updated_timestamp),
        model_type=item.model_type,
        source_run_id=item.source_run_id,
        tags=dict(item.tags or {}),
        params=dict(item.params or {}),
        metrics=[_model_metric_from_json(m) for m in item.metrics or []],
        revision=int(item.revision or 0),
    )


def _model_metric_to_json(metric: Metric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "value": metric.value,
        "timestamp": metric.timestamp,
        "step": metric.step,
        "run_id": metric.run_id,
        "dataset_name": metric.dataset_name,
        "dataset_digest": metric.dataset_digest,
    }


def _model_metric_from_json(raw: dict[str, Any]) -> Metric:
    return Metric(
        key=raw["key"],
        value=float(raw["value"]),
        timestamp=int(raw["timestamp"]),
        step=int(raw["step"]),
        dataset_name=raw.get("dataset_name"),
        dataset_digest=raw.get("dataset_digest"),
        run_id=raw.get("run_id"),
    )
