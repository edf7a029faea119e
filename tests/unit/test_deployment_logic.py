"""Deployment state transitions, the deploy/health-check/rollback flow and its idempotency, on fakes."""

from __future__ import annotations

import pytest

from tests.support.fake_deployments import FakeRuns, InMemoryDeploymentStore, ScriptedTarget
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.deployment_domain import Deployment, DeploymentStatus
from trackway_backend.logic.deployment import states
from trackway_backend.logic.deployment.deploy import AliasMoved, deploy
from trackway_backend.logic.registry import aliases, models, versions

NAME = "iris-classifier"
S = DeploymentStatus


@pytest.fixture
def registry() -> InMemoryRegistryStore:
    store = InMemoryRegistryStore()
    models.create(store, NAME, {}, None, "ana")
    runs = FakeRuns()
    for run in ("r1", "r2", "r3"):
        runs.add(run)
        versions.create(store, runs, NAME, f"mlflow-artifacts:/1/{run}/artifacts/m", run, {}, None, None, None, None)
    return store


@pytest.fixture
def store() -> InMemoryDeploymentStore:
    return InMemoryDeploymentStore()


def move(
    registry: InMemoryRegistryStore, version: int, alias: str = "champion", event_id: str | None = None
) -> AliasMoved:
    aliases.set_alias(registry, NAME, alias, str(version), "ana")
    revision = registry.get_model(NAME).revision
    event_id = event_id or f"{revision:032x}"
    return AliasMoved(NAME, alias, version, revision, event_id, f"2026-01-01T00:00:{revision:02d}.000Z")


def clock() -> int:
    return 1_000


def event_types(store: InMemoryDeploymentStore) -> list[str]:
    return [event.detail_type for event in store.outbox]


def deployment(status: S = S.IN_PROGRESS) -> Deployment:
    return Deployment("d" * 32, NAME, "rid", 1, "champion", "fake", "2026-01-01T00:00:00.000Z", 1, 0, status)


@pytest.mark.parametrize("end", [S.SUCCEEDED, S.FAILED, S.ROLLED_BACK, S.SUPERSEDED, S.REFUSED])
def test_in_progress_moves_to_each_terminal_state_once(end: DeploymentStatus) -> None:
    found = deployment()
    announced = states.finish(found, end, 5, "why")
    assert found.status is end and found.finished_at == 5
    expected = {
        S.SUCCEEDED: ["deployment.succeeded"],
        S.FAILED: ["deployment.failed"],
        S.ROLLED_BACK: ["deployment.failed", "deployment.rolled_back"],
        S.SUPERSEDED: ["deployment.superseded"],
        S.REFUSED: ["deployment.refused"],
    }[end]
    assert [event.detail_type for event in announced] == expected
    assert all(event.source == "trackway.deployment" for event in announced)
    for again in S:
        with pytest.raises(states.InvalidTransition):
            states.finish(found, again, 6)


def test_a_healthy_deployment_goes_live_and_succeeds(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    target = ScriptedTarget()
    outcome = deploy(registry, store, target, move(registry, 1), clock)
    assert outcome.deployment is not None and outcome.deployment.status is S.SUCCEEDED
    assert outcome.deployment.previous_version is None and outcome.deployment.details == {"slot": "v1"}
    rid = registry.get_model(NAME).registry_id
    live = store.live(rid)
    assert live is not None and live.version == 1
    assert target.calls == ["deploy v1", "check v1"]
    assert event_types(store) == ["deployment.started", "deployment.succeeded"]
    started = store.outbox[0].data
    assert started["status"] == "IN_PROGRESS" and started["version"] == "1" and started["alias"] == "champion"


def test_a_failed_health_check_restores_the_previous_version(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    deploy(registry, store, ScriptedTarget(), move(registry, 1), clock)
    rid = registry.get_model(NAME).registry_id
    seen_live: list[int] = []
    target = ScriptedTarget(fail_check="predict failed", on_check=lambda _: seen_live.append(store.lives[rid].version))
    outcome = deploy(registry, store, target, move(registry, 2), clock)
    assert outcome.deployment is not None and outcome.deployment.status is S.ROLLED_BACK
    assert seen_live == [2]  # it was live while checked
    assert store.lives[rid].version == 1
    assert outcome.deployment.previous_version == 1
    assert outcome.deployment.reason == "health check failed: predict failed; restored version 1"
    assert target.calls == ["deploy v2", "check v2", "restore 1"]
    assert event_types(store)[2:] == ["deployment.started", "deployment.failed", "deployment.rolled_back"]


def test_a_first_deployment_that_fails_its_check_fails_without_a_rollback_event(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    deploy(registry, store, ScriptedTarget(fail_check="no"), move(registry, 1), clock)
    assert store.lives == {} and store.statuses() == [S.FAILED]
    [failed] = store.deployments.values()
    assert failed.reason == "health check failed: no; nothing was live before it, so nothing is served"
    assert failed.live_version is None
    assert event_types(store) == ["deployment.started", "deployment.failed"]


def test_a_target_that_cannot_deploy_fails_without_touching_what_is_live(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    deploy(registry, store, ScriptedTarget(), move(registry, 1), clock)
    target = ScriptedTarget(fail_deploy="quota exceeded")
    outcome = deploy(registry, store, target, move(registry, 2), clock)
    assert outcome.deployment is not None and outcome.deployment.status is S.FAILED
    assert outcome.deployment.reason == "quota exceeded" and target.calls == ["deploy v2"]
    assert store.lives[registry.get_model(NAME).registry_id].version == 1
    assert event_types(store)[-2:] == ["deployment.started", "deployment.failed"]


def test_an_unexpected_error_fails_the_deployment_and_propagates(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    def explode(_: object) -> None:
        raise RuntimeError("network down")

    with pytest.raises(RuntimeError):
        deploy(registry, store, ScriptedTarget(on_check=explode), move(registry, 1), clock)
    [failed] = store.deployments.values()
    assert failed.status is S.FAILED and failed.reason == "RuntimeError: network down"


def test_the_same_event_twice_deploys_once(registry: InMemoryRegistryStore, store: InMemoryDeploymentStore) -> None:
    target = ScriptedTarget()
    moved = move(registry, 1)
    assert deploy(registry, store, target, moved, clock).deployment is not None
    again = deploy(registry, store, target, moved, clock)
    assert again.deployment is None and "already done" in again.note
    assert target.calls == ["deploy v1", "check v1"] and event_types(store).count("deployment.started") == 1


def test_a_claim_whose_lease_ran_out_is_taken_over(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    moved = move(registry, 1)
    deploy(registry, store, ScriptedTarget(), moved, clock)
    [done] = store.deployments.values()
    done.status = S.IN_PROGRESS  # as if the function died mid-way
    assert deploy(registry, store, ScriptedTarget(), moved, lambda: 2_000, lease_ms=10_000).deployment is None
    resumed = deploy(registry, store, ScriptedTarget(), moved, lambda: 10**9)
    assert resumed.deployment is not None and resumed.deployment.attempt == 2
    assert resumed.deployment.status is S.SUCCEEDED


def test_other_aliases_are_ignored_and_overtaken_or_stale_moves_end_superseded(
    registry: InMemoryRegistryStore, store: InMemoryDeploymentStore
) -> None:
    target = ScriptedTarget()
    assert "not the deploy alias" in deploy(registry, store, target, move(registry, 1, "staging"), clock).note
    old = move(registry, 1)
    newer = move(registry, 2)
    overtaken = deploy(registry, store, target, old, clock).deployment
    assert overtaken is not None and overtaken.status is S.SUPERSEDED
    assert overtaken.reason == "champion has moved on to version 2" and target.calls == []
    deploy(registry, store, target, newer, clock)
    models.set_tag(registry, NAME, "trackway.deploy_alias", "prod")
    assert "not the deploy alias" in deploy(registry, store, target, move(registry, 3), clock).note
    prod = move(registry, 3, "prod")
    assert deploy(registry, store, target, prod, clock).deployment is not None
    assert store.lives[registry.get_model(NAME).registry_id].version == 3
    late = AliasMoved(NAME, "prod", 3, newer.revision - 1, "f" * 32, "2026-01-01T00:00:00.000Z")
    stale = deploy(registry, store, target, late, clock).deployment
    assert stale is not None and stale.status is S.SUPERSEDED and "went live from a newer move" in (stale.reason or "")
    assert stale.live_version == 3
    gone = AliasMoved("missing", "champion", 1, 1, "0" * 32, "2026-01-01T00:00:00.000Z")
    assert "no longer exists" in deploy(registry, store, target, gone, clock).note
    assert "deployment.failed" not in event_types(store)
    assert event_types(store).count("deployment.superseded") == 2


def test_history_lists_newest_first(registry: InMemoryRegistryStore, store: InMemoryDeploymentStore) -> None:
    from trackway_backend.logic.deployment.history import list_deployments

    deploy(registry, store, ScriptedTarget(), move(registry, 1), clock)
    deploy(registry, store, ScriptedTarget(fail_check="bad"), move(registry, 2), clock)
    listed = list_deployments(registry, store, NAME, 10)
    assert [(d["version"], d["status"], d["previous_version"]) for d in listed["deployments"]] == [
        ("2", "ROLLED_BACK", "1"),
        ("1", "SUCCEEDED", None),
    ]
    assert listed["live"]["version"] == "1"
