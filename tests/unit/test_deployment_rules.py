"""The rules of deployment on fakes: gated models deploy only approved versions, deployments of one model take
turns through the lease, and an overtaken deployment ends SUPERSEDED, never failed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

import pytest

from tests.support.fake_deployments import FakeRuns, InMemoryDeploymentStore, ScriptedTarget
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.deployment_ports import DeployRequest
from trackway_backend.errors import Unavailable
from trackway_backend.logic.approval.approve import Trigger, approve
from trackway_backend.logic.deployment.deploy import AliasMoved, deploy
from trackway_backend.logic.deployment.gating import REQUIRE_APPROVAL_TAG
from trackway_backend.logic.registry import aliases, models, versions

NAME = "iris-classifier"
S = DeploymentStatus
GATES = {"trackway.gate.accuracy": ">= 0.9"}


def build(tags: dict[str, str], accuracies: Sequence[float]) -> tuple[InMemoryRegistryStore, FakeRuns]:
    """A model with `tags` and one version per accuracy, each approved or rejected by the approval logic."""
    registry, runs = InMemoryRegistryStore(), FakeRuns()
    models.create(registry, NAME, tags, None, "ana")
    for index, accuracy in enumerate(accuracies, start=1):
        run_id = runs.add(f"r{index}", accuracy=accuracy)
        source = f"mlflow-artifacts:/1/{run_id}/artifacts/model"
        versions.create(registry, runs, NAME, source, run_id, {}, None, None, None, "ana")
        revision = registry.get_model(NAME).revision
        approve(registry, runs, Trigger(NAME, index, f"{index:032x}", "model_version.created", revision))
    return registry, runs


def move(registry: InMemoryRegistryStore, version: int) -> AliasMoved:
    aliases.set_alias(registry, NAME, "champion", str(version), "ana")
    revision = registry.get_model(NAME).revision
    return AliasMoved(NAME, "champion", version, revision, f"{revision:032x}", f"2026-01-01T00:00:{revision:02d}.000Z")


def clock() -> int:
    return 1_000


def kinds(store: InMemoryDeploymentStore) -> list[str]:
    return [event.detail_type for event in store.outbox]


def live_version(registry: InMemoryRegistryStore, store: InMemoryDeploymentStore) -> int | None:
    live = store.live(registry.get_model(NAME).registry_id)
    return None if live is None else live.version


def test_a_gated_model_refuses_an_unapproved_version_and_serving_stays() -> None:
    registry, _ = build(GATES, [0.95, 0.5])  # v1 approved, v2 rejected
    store, target = InMemoryDeploymentStore(), ScriptedTarget()
    assert deploy(registry, store, target, move(registry, 1), clock).deployment.status is S.SUCCEEDED  # type: ignore[union-attr]
    refused = deploy(registry, store, target, move(registry, 2), clock).deployment
    assert refused is not None and refused.status is S.REFUSED
    assert refused.reason is not None and "version 2 is not approved" in refused.reason and "rejected" in refused.reason
    assert (refused.previous_version, refused.live_version) == (1, 1)
    assert target.calls == ["deploy v1", "check v1"]  # the target never saw v2
    assert live_version(registry, store) == 1
    assert kinds(store)[2:] == ["deployment.refused"]  # no started, no failed
    assert refused.deployment_id == f"{registry.get_model(NAME).revision:032x}"


def test_a_version_not_yet_decided_is_refused_too() -> None:
    registry, runs = build(GATES, [0.95])
    run_id = runs.add("late", accuracy=0.99)
    source = f"mlflow-artifacts:/1/{run_id}/artifacts/model"
    versions.create(registry, runs, NAME, source, run_id, {}, None, None, None, "ana")  # approval not run yet
    refused = deploy(registry, InMemoryDeploymentStore(), ScriptedTarget(), move(registry, 2), clock).deployment
    assert refused is not None and refused.status is S.REFUSED and "not been decided" in (refused.reason or "")


@pytest.mark.parametrize(
    ("tags", "deployed"),
    [
        ({}, True),  # no gates: today's behaviour
        ({**GATES, REQUIRE_APPROVAL_TAG: "false"}, True),  # the explicit opt-out
        ({**GATES, REQUIRE_APPROVAL_TAG: " FALSE "}, True),
        ({**GATES, REQUIRE_APPROVAL_TAG: "no"}, False),  # anything else keeps the requirement
        ({**GATES, REQUIRE_APPROVAL_TAG: "true"}, False),
        (GATES, False),
    ],
)
def test_only_gated_models_without_the_opt_out_refuse(tags: dict[str, str], deployed: bool) -> None:
    registry, _ = build(tags, [0.5])
    store, target = InMemoryDeploymentStore(), ScriptedTarget()
    outcome = deploy(registry, store, target, move(registry, 1), clock).deployment
    assert outcome is not None
    assert outcome.status is (S.SUCCEEDED if deployed else S.REFUSED)
    assert live_version(registry, store) == (1 if deployed else None)


def test_a_deployment_waits_for_the_lease_of_another() -> None:
    registry, _ = build({}, [0.9])
    store, target = InMemoryDeploymentStore(), ScriptedTarget()
    rid = registry.get_model(NAME).registry_id
    store.acquire_lease(rid, "someone-else", until=10**12, now=0)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 3:
            store.release_lease(rid, "someone-else")

    outcome = deploy(registry, store, target, move(registry, 1), clock, sleep=sleep).deployment
    assert outcome is not None and outcome.status is S.SUCCEEDED
    assert len(sleeps) == 3 and target.calls == ["deploy v1", "check v1"]
    assert store.leases == {}  # released when done


def test_a_waiting_deployment_overtaken_by_a_newer_move_leaves_as_superseded() -> None:
    registry, _ = build({}, [0.9, 0.9])
    store, target = InMemoryDeploymentStore(), ScriptedTarget()
    rid = registry.get_model(NAME).registry_id
    store.acquire_lease(rid, "someone-else", until=10**12, now=0)
    first = move(registry, 1)
    outcome = deploy(registry, store, target, first, clock, sleep=lambda _: move(registry, 2)).deployment
    assert outcome is not None and outcome.status is S.SUPERSEDED
    assert outcome.reason == "champion has moved on to version 2" and outcome.live_version is None
    assert target.calls == [] and store.leases[rid][0] == "someone-else"
    assert kinds(store) == ["deployment.started", "deployment.superseded"]


def test_a_turn_that_never_comes_gives_the_claim_back_for_a_redelivery() -> None:
    registry, _ = build({}, [0.9])
    store, target = InMemoryDeploymentStore(), ScriptedTarget()
    rid = registry.get_model(NAME).registry_id
    store.acquire_lease(rid, "stuck", until=5_000, now=0)
    now = [1_000]

    def sleep(_: float) -> None:
        now[0] += 1_000

    moved = move(registry, 1)
    with pytest.raises(Unavailable):
        deploy(registry, store, target, moved, lambda: now[0], lease_ms=4_000, run_ms=1_000, sleep=sleep)
    [claim] = store.deployments.values()
    assert claim.status is S.IN_PROGRESS and claim.lease_expires_at <= now[0]
    now[0] = 6_000  # the stuck holder's lease ran out
    resumed = deploy(registry, store, target, moved, lambda: now[0], sleep=sleep).deployment
    assert resumed is not None and resumed.status is S.SUCCEEDED and resumed.attempt == 2


def test_a_failed_check_after_a_newer_deployment_took_over_is_superseded_not_rolled_back() -> None:
    registry, _ = build({}, [0.9, 0.9, 0.9])
    store = InMemoryDeploymentStore()
    deploy(registry, store, ScriptedTarget(), move(registry, 1), clock)
    rid = registry.get_model(NAME).registry_id

    def newer_goes_live(_: DeployRequest) -> None:  # as if this deployment's lease had run out mid-check
        store.lives[rid] = LiveDeployment(3, "newer", 10**6, "fake", 0)

    target = ScriptedTarget(fail_check="serving answered 409: serves version 3, not 2", on_check=newer_goes_live)
    outcome = deploy(registry, store, target, move(registry, 2), clock).deployment
    assert outcome is not None and outcome.status is S.SUPERSEDED and outcome.live_version == 3
    assert "took the target over" in (outcome.reason or "")
    assert target.calls == ["deploy v2", "check v2"]  # no restore: the target is the newer one's
    assert "deployment.failed" not in kinds(store) and "deployment.rolled_back" not in kinds(store)


def test_a_move_during_the_health_check_supersedes_a_healthy_deployment() -> None:
    registry, _ = build({}, [0.9, 0.9])
    store = InMemoryDeploymentStore()
    target = ScriptedTarget(on_check=lambda _: aliases.set_alias(registry, NAME, "champion", "2", "ana"))
    outcome = deploy(registry, store, target, move(registry, 1), clock).deployment
    assert outcome is not None and outcome.status is S.SUPERSEDED and outcome.live_version == 1
    assert outcome.reason == (
        "healthy and live, but champion has moved on to version 2; the newer move's deployment decides what serves"
    )


class LockedStore(InMemoryDeploymentStore):
    """The in-memory store, each primitive atomic, for threads."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.RLock()

    def __getattribute__(self, name: str) -> object:
        found = super().__getattribute__(name)
        if name in {"start", "take_over", "finish", "get", "live", "set_live", "restore_live", "acquire_lease"}:
            lock = super().__getattribute__("lock")

            def atomic(*args: object) -> object:
                with lock:
                    return found(*args)

            return atomic
        return found


class CountingTarget(ScriptedTarget):
    """Fails the test if two deployments of the model are ever on the target at once."""

    def __init__(self) -> None:
        super().__init__()
        self.active = 0
        self.most = 0
        self.guard = threading.Lock()

    def deploy(self, request: DeployRequest) -> dict[str, str]:
        with self.guard:
            self.active += 1
            self.most = max(self.most, self.active)
        time.sleep(0.01)
        return super().deploy(request)

    def check(self, request: DeployRequest, details: dict[str, str]) -> None:
        super().check(request, details)
        time.sleep(0.01)
        with self.guard:
            self.active -= 1


@pytest.mark.parametrize("movers", [8, 20])
def test_concurrent_moves_deploy_the_latest_once_and_supersede_the_rest(movers: int) -> None:
    registry, _ = build({}, [0.9] * movers)
    moves: list[AliasMoved] = []
    barrier = threading.Barrier(movers)
    guard = threading.Lock()

    def mover(version: int) -> None:
        barrier.wait()
        aliases.set_alias(registry, NAME, "champion", str(version), "ana")
        with guard:
            moves.extend(
                AliasMoved(NAME, "champion", int(e.data["version"]), e.data["revision"], e.event_id, e.timestamp)
                for e in registry.outbox
                if e.detail_type == "model_version_alias.created" and int(e.data["version"]) == version
            )

    run_all([lambda v=v: mover(v) for v in range(1, movers + 1)])
    store, target = LockedStore(), CountingTarget()
    outcomes: list[Deployment | None] = []
    run_all(
        [lambda m=m: outcomes.append(deploy(registry, store, target, m, sleep=time.sleep).deployment) for m in moves]
    )
    final = registry.get_model(NAME).aliases["champion"]
    statuses = sorted((d.status.value, d.version) for d in outcomes if d is not None)
    assert statuses.count(("SUCCEEDED", final)) == 1 and len(statuses) == movers
    assert {status for status, _ in statuses} == {"SUCCEEDED", "SUPERSEDED"}
    assert live_version(registry, store) == final and target.most == 1
    by_id: dict[str, list[str]] = {}
    for event in store.outbox:
        by_id.setdefault(event.data["deployment_id"], []).append(event.detail_type)
    assert sorted(by_id.values()) == sorted(
        ["deployment.started", "deployment." + d.status.value.lower()] for d in outcomes if d is not None
    )


def run_all(work: Sequence[Callable[[], object]]) -> None:
    errors: list[BaseException] = []

    def guarded(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_moves_racing_their_own_deployments_never_share_the_target_and_end_on_the_latest() -> None:
    movers = 12
    registry, _ = build({}, [0.9] * movers)
    store, target = LockedStore(), CountingTarget()
    outcomes: list[Deployment | None] = []
    barrier = threading.Barrier(movers)

    def move_and_deploy(version: int) -> None:
        barrier.wait()
        aliases.set_alias(registry, NAME, "champion", str(version), "ana")
        [event] = [
            e
            for e in list(registry.outbox)
            if e.detail_type == "model_version_alias.created" and int(e.data["version"]) == version
        ]
        moved = AliasMoved(NAME, "champion", version, event.data["revision"], event.event_id, event.timestamp)
        outcomes.append(deploy(registry, store, target, moved, sleep=time.sleep).deployment)

    run_all([lambda v=v: move_and_deploy(v) for v in range(1, movers + 1)])
    final = registry.get_model(NAME).aliases["champion"]
    done = [d for d in outcomes if d is not None]
    assert len(done) == movers and target.most == 1
    assert {d.status for d in done} <= {S.SUCCEEDED, S.SUPERSEDED}
    assert [d.version for d in done if d.status is S.SUCCEEDED].count(final) == 1
    assert live_version(registry, store) == final
