"""Aliases: each move is a conditional transaction whose outbox record carries the previous version."""

from __future__ import annotations

from trackway_backend.errors import InvalidParameter, NotFound
from trackway_backend.logic.registry import events, validation
from trackway_backend.logic.registry.changes import modify
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel


def set_alias(store: RegistryStore, name: str, alias: str, version: str, actor: str | None) -> None:
    validation.assignable_alias(alias)
    number = validation.version(version)

    def change(model: RegisteredModel) -> RegistryChange | None:
        store.get_version(model, number)
        previous = model.aliases.get(alias)
        if previous == number:
            return None  # a retried request: nothing changes, so no second event
        event = events.alias_created(model, alias, number, previous, actor)
        model.aliases[alias] = number
        return RegistryChange(model, events=[event])

    modify(store, validation.model_name(name), change)


def delete_alias(store: RegistryStore, name: str, alias: str, actor: str | None) -> None:
    validation.alias(alias)

    def change(model: RegisteredModel) -> RegistryChange | None:
        previous = model.aliases.pop(alias, None)
        if previous is None:
            return None  # MLflow deletes a missing alias silently
        return RegistryChange(model, events=[events.alias_deleted(model, alias, previous, actor)])

    modify(store, validation.model_name(name), change)


def get_by_alias(store: RegistryStore, name: str, alias: str) -> ModelVersion:
    """The version behind `alias`; `latest` is the highest version. A missing alias is 400, as in MLflow."""
    validation.alias(alias)
    model = store.get_model(validation.model_name(name))
    if alias.lower() == validation.LATEST_ALIAS:
        number = max(model.latest.values(), default=None)
        if number is None:
            raise NotFound(f"Latest version not found for model {name}.")
    else:
        number = model.aliases.get(alias)
        if number is None:
            raise InvalidParameter(f"Registered model alias {alias} not found.")
    return store.get_version(model, number)
