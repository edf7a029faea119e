"""Run use cases: lifecycle, tags, params, metrics and search."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable

from trackway_backend.domain import (
    DATASET_CONTEXT_TAG,
    DatasetInput,
    LifecycleStage,
    Metric,
    Page,
    Run,
    RunStatus,
    ViewType,
)
from trackway_backend.errors import InvalidParameter, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.logic import logged_models, validation
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.experiments import DEFAULT_EXPERIMENT_ID
from trackway_backend.logic.run_names import generate_run_name
from trackway_backend.logic.search import runs_query, start_cursor
from trackway_backend.ports import TrackingStore

RUN_NAME_TAG = "mlflow.runName"
TERMINAL = frozenset({RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED})


def create(
    store: TrackingStore,
    experiment_id: str | None,
    user_id: str | None,
    run_name: str | None,
    start_time: int | None,
    tags: dict[str, str],
) -> Run:
    experiment = store.get_experiment(validation.experiment_id(experiment_id or DEFAULT_EXPERIMENT_ID))
    if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The experiment {experiment.experiment_id} must be in the 'active' state. "
            f"Current state is {experiment.lifecycle_stage.value}."
        )
    tagged_name = tags.get(RUN_NAME_TAG)
    if run_name and tagged_name and run_name != tagged_name:
        raise InvalidParameter(
            f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values "
            f"(run_name='{run_name}', mlflow.runName='{tagged_name}')."
        )
    name = run_name or tagged_name or generate_run_name()
    run_id = uuid.uuid4().hex
    run = Run(
        run_id=run_id,
        experiment_id=experiment.experiment_id,
        run_name=name,
        user_id=user_id or "",
        status=RunStatus.RUNNING,
        start_time=start_time if start_time is not None else now_ms(),
        end_time=None,
        artifact_uri=f"{experiment.artifact_location}/{run_id}/artifacts",
        tags=_checked_tags(tags) | {RUN_NAME_TAG: name},
    )
    store.create_run(run)
    store.mark_changed(run)
    return run


def get(store: TrackingStore, run_id: str) -> Run:
    return store.get_run(validation.run_id(run_id))


def update(
    store: TrackingStore, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
) -> Run:
    def change(run: Run) -> list[DomainEvent]:
        finished = status in TERMINAL and run.status not in TERMINAL
        if status is not None:
            run.status = status
        if end_time is not None:
            run.end_time = end_time
        if run_name:
            run.run_name = run.tags[RUN_NAME_TAG] = run_name
        if not finished:
            return []
        return [
            DomainEvent(
                "trackway.tracking",
                "run.finished",
                {
                    "run_id": run.run_id,
                    "experiment_id": run.experiment_id,
                    "run_name": run.run_name,
                    "status": run.status.value,
                    "start_time": run.start_time,
                    "end_time": run.end_time,
                },
                actor=run.user_id or None,
            )
        ]

    return _modify(store, run_id, change, require_active=False)


def set_lifecycle(store: TrackingStore, run_id: str, stage: LifecycleStage) -> None:
    def change(run: Run) -> None:
        run.lifecycle_stage = stage

    _modify(store, run_id, change, require_active=False)


def set_tag(store: TrackingStore, run_id: str, key: str, value: str) -> None:
    log_batch(store, run_id, metrics=[], params={}, tags={key: value})


def delete_tag(store: TrackingStore, run_id: str, key: str) -> None:
    def change(run: Run) -> None:
        if run.tags.pop(key, None) is None:
            raise NotFound(f"No tag with name: {key} in run with id {run_id}")

    _modify(store, run_id, change)


def log_batch(
    store: TrackingStore, run_id: str, metrics: list[Metric], params: dict[str, str], tags: dict[str, str]
) -> None:
    """Validate, merge the summary (params, tags, latest metrics) under the concurrency policy, then store
    the history chunks.

    The summary commits first, so a call refused for a conflicting param or for load shedding has written
    nothing. Chunks are keyed by their content: a retried or replayed batch rewrites the same items, so
    every point is stored exactly once however often the call is repeated.
    """
    params = {
        validation.validate_key("param", k): validation.truncate(v, validation.MAX_PARAM_VALUE_LENGTH)
        for k, v in params.items()
    }
    tags = _checked_tags(tags)
    for metric in metrics:
        validation.validate_key("metric", metric.key)
    model_ids = sorted({m.model_id for m in metrics if m.model_id is not None})
    for model_id in model_ids:
        logged_models.get(store, model_id)  # a missing model refuses the call before anything is written

    def change(run: Run) -> None:
        for key, value in params.items():
            existing = run.params.get(key)
            if existing is not None and existing != value:
                raise InvalidParameter(
                    f"Changing param values is not allowed. Param with key='{key}' was already logged with "
                    f"value='{existing}' for run ID='{run.run_id}'. Attempted logging new value '{value}'."
                )
        run.params.update(params)
        run.tags.update(tags)
        if RUN_NAME_TAG in tags:
            run.run_name = tags[RUN_NAME_TAG]
        for metric in metrics:
            latest = run.metrics.get(metric.key)
            if latest is None or metric.order > latest.order:
                run.metrics[metric.key] = metric

    _modify(store, run_id, change, history=metrics)
    if model_ids:
        logged_models.record_metrics(store, run_id, [m for m in metrics if m.model_id is not None])


def log_inputs(store: TrackingStore, run_id: str, datasets: list[DatasetInput], model_ids: list[str]) -> None:
    run = _active(get(store, run_id))
    for entry in datasets:
        if len(entry.dataset.name) > validation.MAX_DATASET_NAME_LENGTH:
            raise InvalidParameter(f"Dataset name exceeds {validation.MAX_DATASET_NAME_LENGTH} characters")
        if len(entry.dataset.digest) > validation.MAX_DATASET_DIGEST_LENGTH:
            raise InvalidParameter(f"Dataset digest exceeds {validation.MAX_DATASET_DIGEST_LENGTH} characters")
    keys = [(entry.dataset.name, entry.dataset.digest, entry.tags.get(DATASET_CONTEXT_TAG)) for entry in datasets]

    def record(summary: Run) -> None:
        summary.dataset_keys += [key for key in dict.fromkeys(keys) if key not in summary.dataset_keys]

    if keys:
        _modify(store, run.run_id, record)  # what `datasets.*` filters read
    store.add_run_inputs(run.run_id, datasets, model_ids)


def log_outputs(store: TrackingStore, run_id: str, outputs: list[tuple[str, int]]) -> None:
    run = _active(get(store, run_id))
    store.add_run_outputs(run.run_id, outputs)


def search(
    store: TrackingStore,
    experiment_ids: list[str],
    filter_string: str | None,
    view_type: ViewType,
    max_results: int,
    order_by: list[str],
    page_token: str | None,
) -> Page[Run]:
    query = runs_query(filter_string, order_by, max_results, page_token)
    for experiment_id in experiment_ids:
        validation.experiment_id(experiment_id)
    first = query.order[0]
    if first.entity == "attribute" and first.key == "start_time":
        # The index holds runs in start_time order: a page reads about its own rows (docs/adr/011-search.md).
        stream = store.runs_by_start_time(
            experiment_ids, not first.ascending, start_cursor(query.order, query.after), max_results + 1
        )
        admitted = ([run for run in chunk if view_type.admits(run.lifecycle_stage)] for chunk in stream)
        page = query.run_chunks(admitted)
    else:
        candidates = (run for run in store.list_runs(experiment_ids) if view_type.admits(run.lifecycle_stage))
        page = query.run(candidates)
    return Page(store.with_dataset_inputs(page.items), page.next_page_token)


def _modify(
    store: TrackingStore,
    run_id: str,
    change: Callable[[Run], object],
    require_active: bool = True,
    history: list[Metric] | None = None,
) -> Run:
    """Read-modify-write of the run summary under the store's concurrency policy: a consistent read, the
    change, and a save conditional on the revision read; a lost race re-reads and re-applies the change.
    A change that alters nothing writes nothing (a replayed batch costs one read). Then the `history`
    points, and the summary's change mark (in the points' request when there are points)."""

    def attempt() -> tuple[Run, bool]:
        run = store.get_run_summary(validation.run_id(run_id))
        if require_active:
            _active(run)
        before = copy.deepcopy(run)
        events = change(run)
        pending = events if isinstance(events, list) else []
        saved = bool(pending) or run != before
        if saved:
            store.save_run(run, pending)
        return run, saved

    run, saved = store.policy.run(attempt, serialize=f"run:{run_id}")
    if history:
        store.append_history(run_id, history, changed=run if saved else None)
    elif saved:
        store.mark_changed(run)
    return run


def _active(run: Run) -> Run:
    if run.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"The run {run.run_id} must be in the 'active' state. Current state is {run.lifecycle_stage.value}."
        )
    return run


def _checked_tags(tags: dict[str, str]) -> dict[str, str]:
    return {
        validation.validate_key("tag", k): validation.truncate(v, validation.MAX_RUN_TAG_VALUE_LENGTH)
        for k, v in tags.items()
    }
