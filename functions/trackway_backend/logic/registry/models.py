"""Registered model use cases."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from trackway_backend.domain import Page
from trackway_backend.errors import AlreadyExists, NotFound
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.registry import events, reserved, validation
from trackway_backend.logic.registry.changes import modify
from trackway_backend.logic.search.registry_entities import registered_models_query
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage


def create(
    store: RegistryStore, name: str, tags: dict[str, str], description: str | None, actor: str | None
) -> RegisteredModel:
    reserved.writable(tags)
    now = now_ms()
    model = RegisteredModel(
        name=validation.model_name(name),
        registry_id=uuid.uuid4().hex,
        creation_timestamp=now,
        last_updated_timestamp=now,
        description=description,
        user_id=actor,
        tags=validation.tags(tags),
    )
    try:
        store.create_model(model, [events.model_created(model, actor)])
    except AlreadyExists:
        raise AlreadyExists(f"Registered Model (name={name}) already exists.") from None
    return model


def get(store: RegistryStore, name: str) -> RegisteredModel:
    model = store.get_model(validation.model_name(name))
    store.fill_latest_versions([model])
    return model


def rename(store: RegistryStore, name: str, new_name: str | None) -> RegisteredModel:
    validation.model_name(name)
    target = validation.model_name(new_name, "new_name")

    def change(model: RegisteredModel) -> RegistryChange:
        model.name, model.last_updated_timestamp = target, now_ms()
        return RegistryChange(model, previous_name=name)

    if target == name:
        return get(store, name)
    try:
        modify(store, name, change)
    except AlreadyExists:
        raise AlreadyExists(f"Registered Model (name={target}) already exists.") from None
    return get(store, target)


def update(store: RegistryStore, name: str, description: str | None) -> RegisteredModel:
    def change(model: RegisteredModel) -> RegistryChange:
        model.description, model.last_updated_timestamp = description, now_ms()
        return RegistryChange(model)

    modify(store, validation.model_name(name), change)
    return get(store, name)


def delete(store: RegistryStore, name: str, actor: str | None) -> None:
    def change(model: RegisteredModel) -> RegistryChange:
        return RegistryChange(model, events=[events.model_deleted(model, actor)], delete_model=True)

    modify(store, validation.model_name(name), change)


def set_tag(store: RegistryStore, name: str, key: str, value: str) -> None:
    key, value = validation.tag(key, value)
    reserved.writable([key])

    def change(model: RegisteredModel) -> RegistryChange:
        model.tags = validation.fitting({**model.tags, key: value})
        return RegistryChange(model)

    modify(store, validation.model_name(name), change)


def delete_tag(store: RegistryStore, name: str, key: str) -> None:
    validation.tag_key(key)
    reserved.writable([key])

    def change(model: RegisteredModel) -> RegistryChange | None:
        if key not in model.tags:
            return None  # MLflow deletes a missing tag silently
        del model.tags[key]
        return RegistryChange(model)

    modify(store, validation.model_name(name), change)


def latest_versions(store: RegistryStore, name: str, stages: Iterable[str]) -> list[ModelVersion]:
    model = store.get_model(validation.model_name(name))
    wanted = {Stage.parse(stage) for stage in stages} or set(Stage)
    numbers = {number for stage, number in model.latest.items() if stage in wanted}
    return sorted(store.get_versions((model, number) for number in numbers), key=lambda version: version.version)


def search(
    store: RegistryStore, filter_string: str | None, order_by: list[str], max_results: int, page_token: str | None
) -> Page[RegisteredModel]:
    search = registered_models_query(filter_string, order_by, max_results, page_token)
    if search.names is not None:
        candidates: Iterable[RegisteredModel] = existing_models(store, search.names)
    else:
        candidates = store.list_models()
    page = search.run(candidates)
    store.fill_latest_versions(page.items)
    return page


def existing_models(store: RegistryStore, names: Iterable[str]) -> list[RegisteredModel]:
    found = []
    for name in names:
        try:
            found.append(store.get_model(name))
        except NotFound:
            continue
    return found
