"""Model version use cases: create, read, update, delete, tags and the download URI."""

from __future__ import annotations

from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.registry import events, reserved, sources, validation
from trackway_backend.logic.registry.changes import latest_by_stage, modify
from trackway_backend.ports import RegistryChange, RegistryStore, TrackingStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel


def create(
    store: RegistryStore,
    tracking: TrackingStore,
    name: str,
    source: str,
    run_id: str | None,
    tags: dict[str, str],
    run_link: str | None,
    description: str | None,
    model_id: str | None,
    actor: str | None,
) -> ModelVersion:
    """Register the next version. Its number is the model's counter plus one, taken in the same
    conditional transaction that writes the version, so numbers are unique and gap-free."""
    validation.model_name(name)
    tags = validation.tags(tags)
    reserved.writable(tags)
    bound = sources.bind(store, tracking, source, run_id, model_id)

    def change(model: RegisteredModel) -> RegistryChange:
        now = now_ms()
        model.last_version += 1
        version = ModelVersion(
            name=model.name,
            version=model.last_version,
            creation_timestamp=now,
            last_updated_timestamp=now,
            source=source,
            storage_location=bound.storage_location,
            description=description,
            user_id=actor,
            run_id=bound.run_id,
            run_link=run_link or None,
            model_id=bound.model_id,
            tags=tags,
        )
        model.latest[version.current_stage] = version.version
        model.last_updated_timestamp = now
        return RegistryChange(model, created_version=version, events=[events.version_created(model, version, actor)])

    created = modify(store, name, change).created_version
    assert created is not None
    return created


def get(store: RegistryStore, name: str, version: str) -> ModelVersion:
    model = store.get_model(validation.model_name(name))
    return store.get_version(model, validation.version(version))


def download_uri(store: RegistryStore, name: str, version: str) -> str:
    found = get(store, name, version)
    return found.storage_location or found.source


def update(store: RegistryStore, name: str, version: str, description: str | None) -> ModelVersion:
    number = validation.version(version)

    def change(model: RegisteredModel) -> RegistryChange:
        found = store.get_version(model, number)
        found.description, found.last_updated_timestamp = description, now_ms()
        return RegistryChange(model, versions=[found])

    return modify(store, validation.model_name(name), change).versions[0]


def delete(store: RegistryStore, name: str, version: str, actor: str | None) -> None:
    """Delete a version and the aliases pointing at it. Its number is never given out again."""
    number = validation.version(version)

    def change(model: RegisteredModel) -> RegistryChange:
        store.get_version(model, number)
        removed = model.aliases_of(number)
        for alias in removed:
            del model.aliases[alias]
        if number in model.latest.values():
            remaining = [found for found in store.list_versions([model]) if found.version != number]
            model.latest = latest_by_stage(remaining)
        event = events.version_deleted(model, number, removed, actor)
        model.last_updated_timestamp = now_ms()
        return RegistryChange(model, deleted_versions=[number], events=[event])

    modify(store, validation.model_name(name), change)


def set_tag(store: RegistryStore, name: str, version: str, key: str, value: str, actor: str | None) -> None:
    number = validation.version(version)
    key, value = validation.tag(key, value)
    reserved.writable([key])

    def change(model: RegisteredModel) -> RegistryChange:
        found = store.get_version(model, number)
        found.tags = validation.fitting({**found.tags, key: value})
        return RegistryChange(
            model, versions=[found], events=[events.version_tag_set(model, number, key, value, actor)]
        )

    modify(store, validation.model_name(name), change)


def delete_tag(store: RegistryStore, name: str, version: str, key: str, actor: str | None) -> None:
    number = validation.version(version)
    validation.tag_key(key)
    reserved.writable([key])

    def change(model: RegisteredModel) -> RegistryChange | None:
        found = store.get_version(model, number)
        if key not in found.tags:
            return None  # MLflow deletes a missing tag silently, and nothing changed
        del found.tags[key]
        return RegistryChange(model, versions=[found], events=[events.version_tag_deleted(model, number, key, actor)])

    modify(store, validation.model_name(name), change)
