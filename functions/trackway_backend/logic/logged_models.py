"""Logged model use cases (MLflow 3 `/logged-models`)."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Callable

from trackway_backend.domain import LifecycleStage, LoggedModel, LoggedModelStatus, Metric, Page
from trackway_backend.errors import InvalidParameter, NotFound
from trackway_backend.logic import validation
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.run_names import generate_run_name
from trackway_backend.logic.search import logged_models_query
from trackway_backend.logic.search.entities import LOGGED_MODELS
from trackway_backend.logic.search.grammar import OrderKey
from trackway_backend.ports import TrackingStore

_FORBIDDEN_NAME_CHARACTERS = re.compile(r"[/:.%\"']")


def create(
    store: TrackingStore,
    experiment_id: str,
    name: str | None,
    model_type: str | None,
    source_run_id: str | None,
    params: dict[str, str],
    tags: dict[str, str],
) -> LoggedModel:
    experiment = store.get_experiment(validation.experiment_id(experiment_id))
    if name and _FORBIDDEN_NAME_CHARACTERS.search(name):
        raise InvalidParameter(f"Invalid model name '{name}': it must not contain / : . % \" or '")
    if source_run_id:
        store.get_run_summary(validation.run_id(source_run_id))
    model_id = f"m-{uuid.uuid4().hex}"
    now = now_ms()
    model = LoggedModel(
        model_id=model_id,
        experiment_id=experiment.experiment_id,
        name=name or generate_run_name(),
        artifact_location=f"{experiment.artifact_location}/models/{model_id}/artifacts",
        status=LoggedModelStatus.PENDING,
        creation_timestamp=now,
        last_updated_timestamp=now,
        model_type=model_type,
        source_run_id=source_run_id,
        tags=_checked(tags, "tag"),
        params=_checked(params, "param"),
    )
    store.create_logged_model(model)
    return model


def get(store: TrackingStore, model_id: str, allow_deleted: bool = False) -> LoggedModel:
    model = store.get_logged_model(model_id)
    if model.lifecycle_stage is LifecycleStage.DELETED and not allow_deleted:
        raise NotFound(f"Logged model with ID '{model_id}' not found.")
    return model


def finalize(store: TrackingStore, model_id: str, status: LoggedModelStatus) -> LoggedModel:
    if status is LoggedModelStatus.PENDING:
        raise InvalidParameter("A logged model can only be finalized as READY or UPLOAD_FAILED")

    def change(model: LoggedModel) -> None:
        model.status, model.last_updated_timestamp = status, now_ms()

    return _modify(store, model_id, change)


def set_tags(store: TrackingStore, model_id: str, tags: dict[str, str]) -> None:
    checked = _checked(tags, "tag")

    def change(model: LoggedModel) -> None:
        model.tags.update(checked)
        model.last_updated_timestamp = now_ms()

    _modify(store, model_id, change)


def delete_tag(store: TrackingStore, model_id: str, key: str) -> None:
    def change(model: LoggedModel) -> None:
        if model.tags.pop(key, None) is None:
            raise NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")

    _modify(store, model_id, change)


def log_params(store: TrackingStore, model_id: str, params: dict[str, str]) -> None:
    checked = _checked(params, "param")

    def change(model: LoggedModel) -> None:
        model.params.update(checked)

    _modify(store, model_id, change)


def record_metrics(store: TrackingStore, run_id: str, metrics: list[Metric]) -> None:
    """Keep on each logged model the latest point per (key, run, dataset) of the metrics logged with its id,
    as MLflow returns them on `get_logged_model(...).metrics`."""
    by_model: dict[str, list[Metric]] = {}
    for metric in metrics:
        if metric.model_id is not None:
            by_model.setdefault(metric.model_id, []).append(dataclasses.replace(metric, run_id=run_id))
    for model_id, logged in by_model.items():

        def change(model: LoggedModel, logged: list[Metric] = logged) -> None:
            latest = {_metric_identity(m): m for m in model.metrics}
            for metric in logged:
                current = latest.get(_metric_identity(metric))
                if current is None or metric.order > current.order:
                    latest[_metric_identity(metric)] = metric
            model.metrics = sorted(latest.values(), key=lambda m: (m.key, m.run_id or "", m.timestamp, m.step))

        _modify(store, model_id, change)


def _metric_identity(metric: Metric) -> tuple[str, str | None, str | None, str | None]:
    return (metric.key, metric.run_id, metric.dataset_name, metric.dataset_digest)


def delete(store: TrackingStore, model_id: str) -> None:
    def change(model: LoggedModel) -> None:
        model.lifecycle_stage, model.last_updated_timestamp = LifecycleStage.DELETED, now_ms()

    _modify(store, model_id, change)


def search(
    store: TrackingStore,
    experiment_ids: list[str],
    filter_string: str | None,
    order_by: list[tuple[str, bool]],
    max_results: int,
    page_token: str | None,
) -> Page[LoggedModel]:
    if not experiment_ids:
        raise InvalidParameter("search_logged_models requires at least one experiment ID")
    order = [OrderKey("attribute", LOGGED_MODELS.attribute(field), ascending) for field, ascending in order_by]
    query = logged_models_query(filter_string, order, max_results, page_token)
    live = (m for m in store.list_logged_models(experiment_ids) if m.lifecycle_stage is LifecycleStage.ACTIVE)
    return query.run(live)


def _modify(store: TrackingStore, model_id: str, change: Callable[[LoggedModel], None]) -> LoggedModel:
    """Read-modify-write under the store's concurrency policy, conditional on the revision read."""

    def attempt() -> LoggedModel:
        model = get(store, model_id)
        change(model)
        store.save_logged_model(model)
        return model

    return store.policy.run(attempt, serialize=f"logged-model:{model_id}")


def _checked(values: dict[str, str], kind: str) -> dict[str, str]:
    limit = validation.MAX_PARAM_VALUE_LENGTH if kind == "param" else validation.MAX_RUN_TAG_VALUE_LENGTH
    return {validation.validate_key(kind, k): validation.truncate(v, limit) for k, v in values.items()}
