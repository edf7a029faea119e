"""The deployment state machine: which transitions exist, and the events each one emits."""

from __future__ import annotations

from trackway_backend.deployment_domain import Deployment, DeploymentStatus
from trackway_backend.events import DomainEvent
from trackway_backend.logic.deployment import events

_S = DeploymentStatus
TRANSITIONS: dict[DeploymentStatus, frozenset[DeploymentStatus]] = {
    _S.IN_PROGRESS: frozenset({_S.SUCCEEDED, _S.FAILED, _S.ROLLED_BACK}),
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.ROLLED_BACK: frozenset(),
}


class InvalidTransition(Exception):
    pass


def finish(deployment: Deployment, status: DeploymentStatus, now: int, reason: str | None = None) -> list[DomainEvent]:
    """Move `deployment` to a terminal `status`; returns the events that announce it.

    A rollback is a failure too: it emits `deployment.failed` and then `deployment.rolled_back`, so a
    subscriber to failures sees every one.
    """
    if status not in TRANSITIONS[deployment.status]:
        raise InvalidTransition(f"deployment {deployment.deployment_id}: {deployment.status} -> {status}")
    deployment.status, deployment.finished_at, deployment.reason = status, now, reason
    if status is _S.SUCCEEDED:
        return [events.succeeded(deployment)]
    if status is _S.FAILED:
        return [events.failed(deployment)]
    return [events.failed(deployment), events.rolled_back(deployment)]
