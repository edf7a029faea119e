"""The deployment state machine: which transitions exist, and the events each one emits."""

from __future__ import annotations

from trackway_backend.deployment_domain import Deployment, DeploymentStatus
from trackway_backend.events import DomainEvent
from trackway_backend.logic.deployment import events

_S = DeploymentStatus
TRANSITIONS: dict[DeploymentStatus, frozenset[DeploymentStatus]] = {
    _S.IN_PROGRESS: frozenset({_S.SUCCEEDED, _S.FAILED, _S.ROLLED_BACK, _S.SUPERSEDED, _S.REFUSED}),
    _S.SUCCEEDED: frozenset(),
    _S.FAILED: frozenset(),
    _S.ROLLED_BACK: frozenset(),
    _S.SUPERSEDED: frozenset(),
    _S.REFUSED: frozenset(),
}


class InvalidTransition(Exception):
    pass


def finish(
    deployment: Deployment, status: DeploymentStatus, now: int, reason: str | None = None, live: int | None = None
) -> list[DomainEvent]:
    """Move `deployment` to a terminal `status`, with `live` the version live afterwards (None: nothing);
    returns the events that announce it.

    A rollback is a failure too: it emits `deployment.failed` and then `deployment.rolled_back`, so a
    subscriber to failures sees every one. A superseded or refused deployment is not a failure.
    """
    if status not in TRANSITIONS[deployment.status]:
        raise InvalidTransition(f"deployment {deployment.deployment_id}: {deployment.status} -> {status}")
    deployment.status, deployment.finished_at, deployment.reason = status, now, reason
    deployment.live_version = live
    if status is _S.ROLLED_BACK:
        return [events.failed(deployment), events.rolled_back(deployment)]
    return [events.ANNOUNCE[status](deployment)]


def refuse(deployment: Deployment, now: int, reason: str, live: int | None) -> list[DomainEvent]:
    """A new deployment refused before it started: recorded terminal at once, with `deployment.refused`."""
    return finish(deployment, _S.REFUSED, now, reason, live)
