"""Events of the deployment function: `deployment.started|succeeded|failed|rolled_back|superseded|refused`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from trackway_backend.deployment_domain import Deployment, DeploymentStatus
from trackway_backend.events import DomainEvent

SOURCE = "trackway.deployment"
ACTOR = "trackway.deployment"
STARTED = "deployment.started"
SUCCEEDED = "deployment.succeeded"
FAILED = "deployment.failed"
ROLLED_BACK = "deployment.rolled_back"
SUPERSEDED = "deployment.superseded"
REFUSED = "deployment.refused"


def _version(number: int | None) -> str | None:
    return None if number is None else str(number)


def payload(deployment: Deployment) -> dict[str, Any]:
    """The deployment as events and the history route show it (versions as strings, as MLflow's)."""
    return {
        "deployment_id": deployment.deployment_id,
        "name": deployment.name,
        "version": str(deployment.version),
        "alias": deployment.alias,
        "target": deployment.target,
        "status": deployment.status.value,
        "previous_version": _version(deployment.previous_version),
        "live_version": _version(deployment.live_version),
        "requested_at": deployment.requested_at,
        "started_at": deployment.started_at,
        "finished_at": deployment.finished_at,
        "reason": deployment.reason,
        "attempt": deployment.attempt,
        "details": dict(deployment.details),
    }


def _event(detail_type: str, deployment: Deployment) -> DomainEvent:
    return DomainEvent(SOURCE, detail_type, payload(deployment), ACTOR)


def started(deployment: Deployment) -> DomainEvent:
    return _event(STARTED, deployment)


def succeeded(deployment: Deployment) -> DomainEvent:
    return _event(SUCCEEDED, deployment)


def failed(deployment: Deployment) -> DomainEvent:
    return _event(FAILED, deployment)


def rolled_back(deployment: Deployment) -> DomainEvent:
    return _event(ROLLED_BACK, deployment)


def superseded(deployment: Deployment) -> DomainEvent:
    return _event(SUPERSEDED, deployment)


def refused(deployment: Deployment) -> DomainEvent:
    return _event(REFUSED, deployment)


# The one event that announces each terminal state (a rollback announces a failure first: states.finish).
ANNOUNCE: dict[DeploymentStatus, Callable[[Deployment], DomainEvent]] = {
    DeploymentStatus.SUCCEEDED: succeeded,
    DeploymentStatus.FAILED: failed,
    DeploymentStatus.ROLLED_BACK: rolled_back,
    DeploymentStatus.SUPERSEDED: superseded,
    DeploymentStatus.REFUSED: refused,
}
