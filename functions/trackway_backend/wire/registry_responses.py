"""Registry entities rendered as MLflow JSON (proto field names; unset optional fields left out)."""

from __future__ import annotations

from typing import Any

from trackway_backend.registry_domain import ModelVersion, RegisteredModel
from trackway_backend.wire.tracking_responses import key_values


def _present(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if value is not None}


def model_version(entity: ModelVersion) -> dict[str, Any]:
    return _present(
        {
            "name": entity.name,
            "version": str(entity.version),
            "creation_timestamp": entity.creation_timestamp,
            "last_updated_timestamp": entity.last_updated_timestamp,
            "user_id": entity.user_id,
            "current_stage": entity.current_stage.value,
            "description": entity.description,
            "source": entity.source,
            "run_id": entity.run_id,
            "status": entity.status.value,
            "status_message": entity.status_message,
            "tags": key_values(entity.tags),
            "run_link": entity.run_link,
            "aliases": list(entity.aliases),
            "model_id": entity.model_id,
        }
    )


def registered_model(entity: RegisteredModel) -> dict[str, Any]:
    return _present(
        {
            "name": entity.name,
            "creation_timestamp": entity.creation_timestamp,
            "last_updated_timestamp": entity.last_updated_timestamp,
            "user_id": entity.user_id,
            "description": entity.description,
            "latest_versions": [model_version(version) for version in entity.latest_versions],
            "tags": key_values(entity.tags),
            "aliases": [{"alias": alias, "version": str(number)} for alias, number in sorted(entity.aliases.items())],
        }
    )
