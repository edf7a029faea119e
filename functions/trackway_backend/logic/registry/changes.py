"""Optimistic concurrency: read the model, build a change, commit it conditionally, retry on a lost race."""

from __future__ import annotations

from collections.abc import Callable

from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage

Change = Callable[[RegisteredModel], RegistryChange | None]


def modify(store: RegistryStore, name: str, change: Change) -> RegistryChange:
    """Apply `change` to the freshly read model until its commit wins, under the store's concurrency policy.

    `change` may return None when there is nothing to write (the change is then returned empty). Writers
    of one model are serialised by its revision; a lost race is re-read and retried with backoff, and a
    model with too many writers for the policy's budget is answered 503 with Retry-After, never 409.
    """

    def attempt() -> RegistryChange:
        model = store.get_model(name)
        pending = change(model)
        if pending is None:
            return RegistryChange(model)
        store.commit(pending)
        return pending

    return store.policy.run(attempt, serialize=f"registered-model:{name}")


def latest_by_stage(versions: list[ModelVersion]) -> dict[Stage, int]:
    latest: dict[Stage, int] = {}
    for version in versions:
        if version.version > latest.get(version.current_stage, 0):
            latest[version.current_stage] = version.version
    return latest
