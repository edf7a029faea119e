"""Deployments of registered model versions to a serving target. Plain data: no DynamoDB, no boto3."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class DeploymentStatus(StrEnum):
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"  # live, healthy, and still what the deploy alias asked for when it finished
    FAILED = "FAILED"  # it did not go live, or went live unhealthy with nothing before it to restore
    ROLLED_BACK = "ROLLED_BACK"  # it went live, failed its health check, and the previous version is back
    SUPERSEDED = "SUPERSEDED"  # a newer move of the deploy alias overtook it; that move decides what serves
    REFUSED = "REFUSED"  # the model has gates and the version is not approved; serving was not touched

    @property
    def is_terminal(self) -> bool:
        return self is not DeploymentStatus.IN_PROGRESS


@dataclass
class Deployment:
    """One attempt to put `version` behind `alias` on `target`, keyed by the id of the alias event.

    `previous_version` is what was live before (None for the first deployment); `revision` is the model's
    revision in the alias event, which orders deployments of one model however late their events arrive;
    `live_version` is what is live once it finished (None: nothing, or not finished).
    """

    deployment_id: str
    name: str
    registry_id: str
    version: int
    alias: str
    target: str
    requested_at: str  # the alias event's timestamp (ISO 8601, UTC): the history's sort key
    revision: int
    started_at: int
    status: DeploymentStatus = DeploymentStatus.IN_PROGRESS
    previous_version: int | None = None
    finished_at: int | None = None
    reason: str | None = None
    attempt: int = 1
    lease_expires_at: int = 0
    details: dict[str, str] = field(default_factory=dict)
    live_version: int | None = None


@dataclass(frozen=True)
class LiveDeployment:
    """What a model's serving target serves now: read by the serving function on every cache refresh."""

    version: int
    deployment_id: str
    revision: int
    target: str
    updated_at: int
    details: dict[str, str] = field(default_factory=dict)
