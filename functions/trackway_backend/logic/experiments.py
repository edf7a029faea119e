"""Experiment use cases."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from trackway_backend.domain import Experiment, LifecycleStage, Page, ViewType
from trackway_backend.errors import AlreadyExists, InvalidParameter, NotFound
from trackway_backend.logic import validation
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.search import experiments_query
from trackway_backend.ports import TrackingStore

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def artifact_location(root: str, experiment_id: str) -> str:
    return f"{root.rstrip('/')}/{experiment_id}"


def ensure_default(store: TrackingStore, artifact_root: str) -> None:
    """Experiment "0" must exist: `mlflow.start_run()` without `set_experiment` logs there."""
    try:
        store.get_experiment(DEFAULT_EXPERIMENT_ID)
        return
    except NotFound:
        pass
    now = now_ms()
    default = Experiment(
        DEFAULT_EXPERIMENT_ID,
        DEFAULT_EXPERIMENT_NAME,
        artifact_location(artifact_root, "0"),
        creation_time=now,
        last_update_time=now,
    )
    with contextlib.suppress(AlreadyExists):
        store.create_experiment(default)


def create(store: TrackingStore, name: str, artifact_root: str, location: str | None, tags: dict[str, str]) -> str:
    validation.experiment_name(name)
    for key, value in tags.items():
        _validate_tag(key, value)
    if store.find_experiment_id(name) is not None:
        raise AlreadyExists(f"Experiment '{name}' already exists.")
    experiment_id = store.next_experiment_id()
    now = now_ms()
    store.create_experiment(
        Experiment(
            experiment_id,
            name,
            location or artifact_location(artifact_root, experiment_id),
            creation_time=now,
            last_update_time=now,
            tags=tags,
        )
    )
    return experiment_id


def get(store: TrackingStore, experiment_id: str) -> Experiment:
    validation.experiment_id(experiment_id)
    return store.get_experiment(experiment_id)


def get_by_name(store: TrackingStore, name: str) -> Experiment:
    experiment_id = store.find_experiment_id(name)
    if experiment_id is None:
        raise NotFound(f"Could not find experiment with name '{name}'")
    return store.get_experiment(experiment_id)


def rename(store: TrackingStore, experiment_id: str, new_name: str | None) -> None:
    if not new_name:
        _active(get(store, experiment_id), "rename")
        return
    validation.experiment_name(new_name)

    def change(experiment: Experiment) -> None:
        _active(experiment, "rename")
        experiment.name, experiment.last_update_time = new_name, now_ms()

    _modify(store, experiment_id, change)


def set_lifecycle(store: TrackingStore, experiment_id: str, stage: LifecycleStage) -> None:
    if experiment_id == DEFAULT_EXPERIMENT_ID and stage is LifecycleStage.DELETED:
        raise InvalidParameter("Cannot delete the default experiment '0'. This is an internally reserved ID.")

    def change(experiment: Experiment) -> None:
        experiment.lifecycle_stage, experiment.last_update_time = stage, now_ms()

    _modify(store, experiment_id, change)


def set_tag(store: TrackingStore, experiment_id: str, key: str, value: str) -> None:
    _validate_tag(key, value)

    def change(experiment: Experiment) -> None:
        _active(experiment, "set a tag on").tags[key] = value

    _modify(store, experiment_id, change)


def delete_tag(store: TrackingStore, experiment_id: str, key: str) -> None:
    def change(experiment: Experiment) -> None:
        if _active(experiment, "delete a tag of").tags.pop(key, None) is None:
            raise NotFound(f"No tag with name: {key} in experiment with id {experiment_id}")

    _modify(store, experiment_id, change)


def search(
    store: TrackingStore,
    view_type: ViewType,
    filter_string: str | None,
    order_by: list[str],
    max_results: int,
    page_token: str | None,
) -> Page[Experiment]:
    query = experiments_query(filter_string, order_by, max_results, page_token)
    candidates = [e for e in store.list_experiments() if view_type.admits(e.lifecycle_stage)]
    return query.run(candidates)


def _modify(store: TrackingStore, experiment_id: str, change: Callable[[Experiment], None]) -> None:
    """Read-modify-write under the store's concurrency policy: a save conditional on the revision read,
    re-read and re-applied when another writer got there first, so no concurrent change is lost."""

    def attempt() -> None:
        experiment = get(store, experiment_id)
        previous_name = experiment.name
        change(experiment)
        store.save_experiment(experiment, previous_name=previous_name)

    store.policy.run(attempt, serialize=f"experiment:{experiment_id}")


def _active(experiment: Experiment, action: str) -> Experiment:
    if experiment.lifecycle_stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(
            f"Cannot {action} experiment {experiment.experiment_id}: it must be in the 'active' lifecycle stage."
        )
    return experiment


def _validate_tag(key: str, value: str) -> None:
    validation.validate_key("tag", key)
    if len(value) > validation.MAX_EXPERIMENT_TAG_VALUE_LENGTH:
        raise InvalidParameter(
            f"Tag value for '{key}' exceeds the maximum length of "
            f"{validation.MAX_EXPERIMENT_TAG_VALUE_LENGTH} characters"
        )
