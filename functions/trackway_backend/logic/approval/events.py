"""Events of the approval function: `model_version.approved` and `model_version.rejected`."""

from __future__ import annotations

from typing import Any

from trackway_backend.events import DomainEvent
from trackway_backend.registry_domain import RegisteredModel

SOURCE = "trackway.approval"
ACTOR = "trackway.approval"
MODEL_VERSION_APPROVED = "model_version.approved"
MODEL_VERSION_REJECTED = "model_version.rejected"


def decided(model: RegisteredModel, version: int, approved: bool, report: dict[str, Any]) -> DomainEvent:
    """`revision` is the model's revision after the commit that carries this event, as on registry events."""
    return DomainEvent(
        SOURCE,
        MODEL_VERSION_APPROVED if approved else MODEL_VERSION_REJECTED,
        {"name": model.name, "version": str(version), **report, "revision": model.revision + 1},
        ACTOR,
    )
