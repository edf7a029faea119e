"""Optimistic concurrency: read the model, build a change, commit it conditionally, retry on a lost race."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from trackway_backend.errors import Conflict
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage

MAX_ATTEMPTS = 40
_BASE_DELAY = 0.005
_MAX_DELAY = 0.25

Change = Callable[[RegisteredModel], RegistryChange | None]


def modify(
    store: RegistryStore, name: str, change: Change, sleep: Callable[[float], None] = time.sleep
) -> RegistryChange:
    """Apply `change` to the freshly read model until its commit wins.

    `change` may return None when there is nothing to write (the change is then returned empty). Writers
    of one model are serialised by its revision, so under contention each retry waits a jittered,
    growing delay; MLflow clients do not retry a 409, so the contention is absorbed here.
    """
    for attempt in range(MAX_ATTEMPTS):
        model = store.get_model(name)
        pending = change(model)
        if pending is None:
            return RegistryChange(model)
        try:
            store.commit(pending)
            return pending
        except Conflict:
            sleep(random.uniform(0, min(_MAX_DELAY, _BASE_DELAY * 2**attempt)))
    raise Conflict(f"Registered model '{name}' is being changed by too many writers at once; retry")


def latest_by_stage(versions: list[ModelVersion]) -> dict[Stage, int]:
    latest: dict[Stage, int] = {}
    for version in versions:
        if version.version > latest.get(version.current_stage, 0):
            latest[version.current_stage] = version.version
    return latest
