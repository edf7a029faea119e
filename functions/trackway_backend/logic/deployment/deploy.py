"""The deployment use case: when a model's deploy alias moves, put that version on the serving target.

Steps: claim the deployment under the alias event's id (with `deployment.started`, in one transaction), let
the target deploy, make the version live, health-check it, and finish: succeeded, or rolled back to the
version live before. A redelivered event finds its claim and stops; a claim whose lease ran out (the
function died mid-way) is taken over by the next delivery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.deployment_ports import DeploymentFailed, DeploymentStore, DeployRequest, ServingTarget
from trackway_backend.errors import NotFound
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.deploy_alias import deploy_alias
from trackway_backend.logic.deployment import events, states
from trackway_backend.ports import RegistryStore
from trackway_backend.registry_domain import RegisteredModel

DEFAULT_LEASE_MS = 15 * 60 * 1000  # longer than the function's timeout: a live claim is never taken over


@dataclass(frozen=True)
class AliasMoved:
    """A `model_version_alias.created` event."""

    name: str
    alias: str
    version: int
    revision: int
    event_id: str
    timestamp: str


@dataclass(frozen=True)
class Outcome:
    deployment: Deployment | None
    note: str = ""


def deploy(
    registry: RegistryStore,
    store: DeploymentStore,
    target: ServingTarget,
    moved: AliasMoved,
    clock: Callable[[], int] = now_ms,
    lease_ms: int = DEFAULT_LEASE_MS,
) -> Outcome:
    try:
        model = registry.get_model(moved.name)
    except NotFound:
        return Outcome(None, f"model {moved.name} no longer exists")
    alias = deploy_alias(model.tags)
    if moved.alias != alias:
        return Outcome(None, f"alias {moved.alias} is not the deploy alias ({alias})")
    if model.aliases.get(alias) != moved.version:
        return Outcome(None, f"superseded: {alias} has moved on from version {moved.version}")
    live = store.live(model.registry_id)
    if live is not None and live.revision > moved.revision:
        return Outcome(None, f"stale: version {live.version} went live from a newer alias move")
    claimed = _claim(store, _new(model, target.name, moved, live, clock(), lease_ms))
    if claimed is None:
        return Outcome(None, f"deployment {moved.event_id} is already done or in progress")
    if live is not None and live.deployment_id == claimed.deployment_id:
        live = _previous_of(claimed, clock())  # taken over after this very deployment went live
    return Outcome(run(registry, store, target, model, claimed, live, clock))


def run(
    registry: RegistryStore,
    store: DeploymentStore,
    target: ServingTarget,
    model: RegisteredModel,
    deployment: Deployment,
    previous: LiveDeployment | None,
    clock: Callable[[], int] = now_ms,
) -> Deployment:
    """Deploy a claimed deployment to its end state. An unexpected error fails it before propagating."""
    try:
        version = registry.get_version(model, deployment.version)
        request = DeployRequest(model.name, model.registry_id, version, deployment.deployment_id, previous, model.tags)
        try:
            deployment.details = target.deploy(request)
        except DeploymentFailed as exc:
            return _finish(store, deployment, DeploymentStatus.FAILED, clock(), exc.reason)
        went_live = LiveDeployment(
            deployment.version, deployment.deployment_id, deployment.revision, target.name, clock(), deployment.details
        )
        if not store.set_live(model.registry_id, went_live):
            # A newer deployment owns the target now: leave it alone.
            return _finish(store, deployment, DeploymentStatus.FAILED, clock(), "superseded by a newer deployment")
        try:
            target.check(request, deployment.details)
        except DeploymentFailed as exc:
            target.restore(request, deployment.details)
            store.restore_live(model.registry_id, previous, deployment.deployment_id)
            restored = "nothing" if previous is None else f"version {previous.version}"
            reason = f"health check failed: {exc.reason}; restored {restored}"
            return _finish(store, deployment, DeploymentStatus.ROLLED_BACK, clock(), reason)
        return _finish(store, deployment, DeploymentStatus.SUCCEEDED, clock())
    except Exception as exc:
        if not deployment.status.is_terminal:
            _finish(store, deployment, DeploymentStatus.FAILED, clock(), f"{type(exc).__name__}: {exc}")
        raise


def _new(
    model: RegisteredModel, target: str, moved: AliasMoved, live: LiveDeployment | None, now: int, lease_ms: int
) -> Deployment:
    return Deployment(
        deployment_id=moved.event_id,
        name=model.name,
        registry_id=model.registry_id,
        version=moved.version,
        alias=moved.alias,
        target=target,
        requested_at=moved.timestamp,
        revision=moved.revision,
        started_at=now,
        previous_version=None if live is None else live.version,
        lease_expires_at=now + lease_ms,
    )


def _previous_of(deployment: Deployment, now: int) -> LiveDeployment | None:
    if deployment.previous_version is None:
        return None
    return LiveDeployment(
        deployment.previous_version, f"{deployment.deployment_id}-previous", deployment.revision, deployment.target, now
    )


def _claim(store: DeploymentStore, deployment: Deployment) -> Deployment | None:
    if store.start(deployment, [events.started(deployment)]):
        return deployment
    existing = store.get(deployment.registry_id, deployment.requested_at, deployment.deployment_id)
    if existing is None or existing.status.is_terminal or existing.lease_expires_at > deployment.started_at:
        return None
    lease = deployment.lease_expires_at - deployment.started_at
    existing.attempt += 1
    existing.started_at, existing.lease_expires_at = deployment.started_at, deployment.started_at + lease
    return existing if store.take_over(existing, existing.attempt - 1) else None


def _finish(
    store: DeploymentStore, deployment: Deployment, status: DeploymentStatus, now: int, reason: str | None = None
) -> Deployment:
    store.finish(deployment, states.finish(deployment, status, now, reason))
    return deployment
