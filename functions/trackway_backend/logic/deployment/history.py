"""Deployment history, as a user lists it."""

from __future__ import annotations

from typing import Any

from trackway_backend.deployment_ports import DeploymentStore
from trackway_backend.logic.deployment.events import payload
from trackway_backend.logic.registry import validation
from trackway_backend.ports import RegistryStore


def list_deployments(registry: RegistryStore, store: DeploymentStore, name: str, max_results: int) -> dict[str, Any]:
    """The model's deployments, newest first, and what is live now."""
    model = registry.get_model(validation.model_name(name))
    live = store.live(model.registry_id)
    return {
        "deployments": [payload(deployment) for deployment in store.history(model.registry_id, max_results)],
        "live": None
        if live is None
        else {
            "version": str(live.version),
            "deployment_id": live.deployment_id,
            "target": live.target,
            "updated_at": live.updated_at,
        },
    }
