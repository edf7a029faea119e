"""Explicit mapping between registry entities and their pynamodb items."""

from __future__ import annotations

from trackway_backend.adapters.dynamo.registry_items import (
    META,
    MODELS,
    ModelVersionItem,
    RegisteredModelItem,
    model_key,
    version_sort_key,
    versions_key,
)
from trackway_backend.registry_domain import ModelVersion, RegisteredModel, Stage, VersionStatus


def model_to_item(model: RegisteredModel, revision: int) -> RegisteredModelItem:
    return RegisteredModelItem(
        pk=model_key(model.name),
        sk=META,
        gsi1pk=MODELS,
        gsi1sk=model.name,
        name=model.name,
        registry_id=model.registry_id,
        creation_timestamp=model.creation_timestamp,
        last_updated_timestamp=model.last_updated_timestamp,
        description=model.description,
        user_id=model.user_id,
        tags=model.tags,
        aliases=model.aliases,
        latest={stage.value: number for stage, number in model.latest.items()},
        last_version=model.last_version,
        revision=revision,
    )


def model_from_item(item: RegisteredModelItem) -> RegisteredModel:
    return RegisteredModel(
        name=item.name,
        registry_id=item.registry_id,
        creation_timestamp=int(item.creation_timestamp),
        last_updated_timestamp=int(item.last_updated_timestamp),
        description=item.description,
        user_id=item.user_id,
        tags=dict(item.tags or {}),
        aliases={alias: int(number) for alias, number in (item.aliases or {}).items()},
        latest={Stage(stage): int(number) for stage, number in (item.latest or {}).items()},
        last_version=int(item.last_version),
        revision=int(item.revision),
    )


def version_to_item(registry_id: str, version: ModelVersion) -> ModelVersionItem:
    return ModelVersionItem(
        pk=versions_key(registry_id),
        sk=version_sort_key(version.version),
        version=version.version,
        creation_timestamp=version.creation_timestamp,
        last_updated_timestamp=version.last_updated_timestamp,
        current_stage=version.current_stage.value,
        source=version.source,
        storage_location=version.storage_location,
        description=version.description,
        user_id=version.user_id,
        run_id=version.run_id,
        run_link=version.run_link,
        model_id=version.model_id,
        status=version.status.value,
        status_message=version.status_message,
        tags=version.tags,
    )


def version_from_item(item: ModelVersionItem, model: RegisteredModel) -> ModelVersion:
    number = int(item.version)
    return ModelVersion(
        name=model.name,
        version=number,
        creation_timestamp=int(item.creation_timestamp),
        last_updated_timestamp=int(item.last_updated_timestamp),
        source=item.source,
        storage_location=item.storage_location,
        current_stage=Stage(item.current_stage),
        description=item.description,
        user_id=item.user_id,
        run_id=item.run_id,
        run_link=item.run_link,
        model_id=item.model_id,
        status=VersionStatus(item.status),
        status_message=item.status_message,
        tags=dict(item.tags or {}),
        aliases=model.aliases_of(number),
    )
