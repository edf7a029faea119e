"""The registry's domain events. `data` is MLflow's webhook payload (mlflow/webhooks/types.py) extended with
context: `previous_version` on alias changes, and `revision`, the model's revision after the change, which
orders the events of one model (EventBridge does not preserve order)."""

from __future__ import annotations

from typing import Any

from trackway_backend.events import DomainEvent
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage

SOURCE = "trackway.registry"
# PutEvents takes at most 256 KB per entry: long free text is cut in events (the registry has it whole).
MAX_EVENT_TEXT = 4_096
MAX_EVENT_TAGS_BYTES = 128_000

REGISTERED_MODEL_CREATED = "registered_model.created"
REGISTERED_MODEL_DELETED = "registered_model.deleted"
MODEL_VERSION_CREATED = "model_version.created"
MODEL_VERSION_DELETED = "model_version.deleted"
MODEL_VERSION_TAG_SET = "model_version_tag.set"
MODEL_VERSION_TAG_DELETED = "model_version_tag.deleted"
MODEL_VERSION_ALIAS_CREATED = "model_version_alias.created"
MODEL_VERSION_ALIAS_DELETED = "model_version_alias.deleted"
MODEL_VERSION_STAGE_TRANSITIONED = "model_version.stage_transitioned"


def _event(detail_type: str, model: RegisteredModel, actor: str | None, data: dict[str, Any]) -> DomainEvent:
    return DomainEvent(SOURCE, detail_type, {"name": model.name, **data, "revision": model.revision + 1}, actor)


def _cut(text: str, max_bytes: int) -> str:
    return text if len(text) * 4 <= max_bytes else text.encode()[:max_bytes].decode(errors="ignore")


def _clipped(text: str | None) -> str | None:
    return None if text is None else _cut(text, MAX_EVENT_TEXT)


def _event_tags(tags: dict[str, str]) -> dict[str, str]:
    """Tags as an event carries them: values cut to MAX_EVENT_TEXT bytes, at most MAX_EVENT_TAGS_BYTES in all."""
    carried: dict[str, str] = {}
    size = 0
    for key, value in tags.items():
        cut = _cut(value, MAX_EVENT_TEXT)
        size += len(key.encode()) + len(cut.encode())
        if size > MAX_EVENT_TAGS_BYTES:
            break
        carried[key] = cut
    return carried


def model_created(model: RegisteredModel, actor: str | None) -> DomainEvent:
    data = {"tags": _event_tags(model.tags), "description": _clipped(model.description)}
    return _event(REGISTERED_MODEL_CREATED, model, actor, data)


def model_deleted(model: RegisteredModel, actor: str | None) -> DomainEvent:
    return _event(REGISTERED_MODEL_DELETED, model, actor, {"versions": model.last_version})


def version_created(model: RegisteredModel, version: ModelVersion, actor: str | None) -> DomainEvent:
    return _event(
        MODEL_VERSION_CREATED,
        model,
        actor,
        {
            "version": str(version.version),
            "source": version.source,
            "run_id": version.run_id,
            "tags": _event_tags(version.tags),
            "description": _clipped(version.description),
            "model_id": version.model_id,
            "storage_location": version.storage_location,
        },
    )


def version_deleted(model: RegisteredModel, version: int, aliases: list[str], actor: str | None) -> DomainEvent:
    return _event(MODEL_VERSION_DELETED, model, actor, {"version": str(version), "aliases": aliases})


def version_tag_set(model: RegisteredModel, version: int, key: str, value: str, actor: str | None) -> DomainEvent:
    data = {"version": str(version), "key": key, "value": _cut(value, MAX_EVENT_TAGS_BYTES)}
    return _event(MODEL_VERSION_TAG_SET, model, actor, data)


def version_tag_deleted(model: RegisteredModel, version: int, key: str, actor: str | None) -> DomainEvent:
    return _event(MODEL_VERSION_TAG_DELETED, model, actor, {"version": str(version), "key": key})


def alias_created(
    model: RegisteredModel, alias: str, version: int, previous: int | None, actor: str | None
) -> DomainEvent:
    return _event(
        MODEL_VERSION_ALIAS_CREATED,
        model,
        actor,
        {"alias": alias, "version": str(version), "previous_version": _optional(previous)},
    )


def alias_deleted(model: RegisteredModel, alias: str, previous: int, actor: str | None) -> DomainEvent:
    return _event(MODEL_VERSION_ALIAS_DELETED, model, actor, {"alias": alias, "previous_version": str(previous)})


def stage_transitioned(
    model: RegisteredModel, version: int, from_stage: Stage, to_stage: Stage, archived: list[int], actor: str | None
) -> DomainEvent:
    return _event(
        MODEL_VERSION_STAGE_TRANSITIONED,
        model,
        actor,
        {
            "version": str(version),
            "from_stage": from_stage.value,
            "to_stage": to_stage.value,
            "archived_versions": [str(number) for number in archived],
        },
    )


def _optional(version: int | None) -> str | None:
    return None if version is None else str(version)
