"""The deployment use case: when a model's deploy alias moves, put that version on the serving target.

Steps:
1. A move to a version the model's gates did not approve is refused at once (`REFUSED`, with
   `deployment.refused`); serving is not touched (logic/deployment/gating.py).
2. Otherwise the deployment is claimed under the alias event's id (with `deployment.started`, in one
   transaction). A redelivered event finds its claim and stops; a claim whose lease ran out (the function
   died mid-way) is taken over by the next delivery.
3. Deployments of one model take turns through a lease in DynamoDB (logic/deployment/turns.py), so
   concurrent invocations, in any process, never deploy one model at once. While waiting, and again once
   its turn comes, a deployment whose move was overtaken by a newer one ends `SUPERSEDED`: the latest
   move wins.
4. In its turn it deploys, goes live, is health-checked, and ends succeeded, superseded (the alias moved on
   meanwhile), rolled back (only when a previous version was actually restored), or failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.deployment_ports import DeploymentFailed, DeploymentStore, DeployRequest, ServingTarget
from trackway_backend.errors import NotFound
from trackway_backend.logic.clock import now_ms
from trackway_backend.logic.deploy_alias import deploy_alias
from trackway_backend.logic.deployment import events, gating, states
from trackway_backend.logic.deployment.turns import Budget, Turn, overtaken
from trackway_backend.ports import RegistryStore
from trackway_backend.registry_domain import RegisteredModel

DEFAULT_LEASE_MS = 15 * 60 * 1000  # longer than the function's timeout: a live claim is never taken over
_S = DeploymentStatus


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
    run_ms: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """`lease_ms`: how long this invocation may run (its claim and its turn end then); `run_ms`: the time a
    deployment needs once its turn comes, so a waiter gives up while there is still that much left."""
    try:
        model = registry.get_model(moved.name)
    except NotFound:
        return Outcome(None, f"model {moved.name} no longer exists")
    alias = deploy_alias(model.tags)
    if moved.alias != alias:
        return Outcome(None, f"alias {moved.alias} is not the deploy alias ({alias})")
    live = store.live(model.registry_id)
    now = clock()
    new = _new(model, target.name, moved, live, now, lease_ms)
    if (reason := _refusal(registry, model, moved.version)) is not None:
        announced = states.refuse(new, clock(), reason, None if live is None else live.version)
        if not store.start(new, announced):
            return Outcome(None, f"deployment {moved.event_id} is already recorded")
        return Outcome(new)
    claimed = _claim(store, new)
    if claimed is None:
        return Outcome(None, f"deployment {moved.event_id} is already done or in progress")
    budget = Budget(deadline=now + lease_ms, run_ms=lease_ms // 2 if run_ms is None else run_ms)
    return Outcome(_in_turn(registry, store, target, claimed, budget, clock, sleep))


def _in_turn(
    registry: RegistryStore,
    store: DeploymentStore,
    target: ServingTarget,
    deployment: Deployment,
    budget: Budget,
    clock: Callable[[], int],
    sleep: Callable[[float], None],
) -> Deployment:
    turn = Turn(registry, store, deployment, budget, clock, sleep)
    try:
        waited = turn.wait()
    except Exception:
        _release_claim(store, deployment, clock())
        raise
    if waited.overtaken is not None:
        return _finish(store, deployment, _S.SUPERSEDED, clock(), waited.overtaken, _version_of(waited.live))
    assert waited.model is not None
    try:
        if (reason := _refusal(registry, waited.model, deployment.version)) is not None:
            return _finish(store, deployment, _S.REFUSED, clock(), reason, _version_of(waited.live))
        previous = waited.live
        if previous is not None and previous.deployment_id == deployment.deployment_id:
            previous = _previous_of(deployment, clock())  # taken over after this very deployment went live
        deployment.previous_version = None if previous is None else previous.version
        return run(registry, store, target, waited.model, deployment, previous, clock)
    finally:
        turn.end()


def run(
    registry: RegistryStore,
    store: DeploymentStore,
    target: ServingTarget,
    model: RegisteredModel,
    deployment: Deployment,
    previous: LiveDeployment | None,
    clock: Callable[[], int] = now_ms,
) -> Deployment:
    """Deploy a claimed deployment, in its turn, to its end state. An unexpected error fails it before
    propagating."""
    rid = model.registry_id
    before = None if previous is None else previous.version
    try:
        version = registry.get_version(model, deployment.version)
        request = DeployRequest(model.name, rid, version, deployment.deployment_id, previous, model.tags)
        try:
            deployment.details = target.deploy(request)
        except DeploymentFailed as exc:
            return _finish(store, deployment, _S.FAILED, clock(), exc.reason, before)
        went_live = LiveDeployment(
            deployment.version, deployment.deployment_id, deployment.revision, target.name, clock(), deployment.details
        )
        if not store.set_live(rid, went_live):
            current = store.live(rid)
            reason = "a deployment of a newer alias move went live first"
            return _finish(store, deployment, _S.SUPERSEDED, clock(), reason, _version_of(current))
        try:
            target.check(request, deployment.details)
        except DeploymentFailed as exc:
            return _after_failed_check(store, target, request, deployment, previous, exc.reason, clock)
        if (moved_on := _moved_on(registry, model.name, deployment, store)) is not None:
            reason = f"healthy and live, but {moved_on}; the newer move's deployment decides what serves"
            return _finish(store, deployment, _S.SUPERSEDED, clock(), reason, deployment.version)
        return _finish(store, deployment, _S.SUCCEEDED, clock(), None, deployment.version)
    except Exception as exc:
        if not deployment.status.is_terminal:
            serving = _version_of(store.live(rid))
            _finish(store, deployment, _S.FAILED, clock(), f"{type(exc).__name__}: {exc}", serving)
        raise


def _after_failed_check(
    store: DeploymentStore,
    target: ServingTarget,
    request: DeployRequest,
    deployment: Deployment,
    previous: LiveDeployment | None,
    failure: str,
    clock: Callable[[], int],
) -> Deployment:
    """Put the previous version back if this deployment still owns the target. A rollback is reported only
    when a version was restored; with nothing before it, the deployment failed and nothing serves."""
    if not store.restore_live(request.registry_id, previous, deployment.deployment_id):
        current = store.live(request.registry_id)
        reason = f"a newer deployment took the target over during the health check ({failure})"
        return _finish(store, deployment, _S.SUPERSEDED, clock(), reason, _version_of(current))
    target.restore(request, deployment.details)
    if previous is None:
        reason = f"health check failed: {failure}; nothing was live before it, so nothing is served"
        return _finish(store, deployment, _S.FAILED, clock(), reason, None)
    reason = f"health check failed: {failure}; restored version {previous.version}"
    return _finish(store, deployment, _S.ROLLED_BACK, clock(), reason, previous.version)


def _moved_on(registry: RegistryStore, name: str, deployment: Deployment, store: DeploymentStore) -> str | None:
    try:
        model = registry.get_model(name)
    except NotFound:
        return "the model was deleted"
    return overtaken(model, deployment, store.live(model.registry_id))


def _refusal(registry: RegistryStore, model: RegisteredModel, number: int) -> str | None:
    if not gating.requires_approval(model.tags):
        return None
    try:
        version = registry.get_version(model, number)
    except NotFound:
        return f"version {number} no longer exists"
    return gating.refusal(model.tags, number, version.tags)


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


def _release_claim(store: DeploymentStore, deployment: Deployment, now: int) -> None:
    """Let the next delivery of the event take the claim over at once (this one gives up before its turn)."""
    deployment.lease_expires_at = now
    store.take_over(deployment, deployment.attempt)


def _version_of(live: LiveDeployment | None) -> int | None:
    return None if live is None else live.version


def _finish(
    store: DeploymentStore,
    deployment: Deployment,
    status: DeploymentStatus,
    now: int,
    reason: str | None,
    live: int | None,
) -> Deployment:
    store.finish(deployment, states.finish(deployment, status, now, reason, live))
    return deployment
