"""DynamoDeploymentStore on moto: claims, take-overs, finishes with their outbox events, and the live record's
ordering and ownership conditions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.registry_items import RegistryItem
from trackway_backend.adapters.dynamo.tables import bind, create_missing
from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.errors import Conflict
from trackway_backend.events import DomainEvent
from trackway_backend.settings import DeploymentSettings

RID = "0123456789abcdef0123456789abcdef"


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDeploymentStore]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        settings = DeploymentSettings(registry_table="registry-deploy-test", outbox_table="outbox-deploy-test")
        bind(RegistryItem, settings.registry_table, settings)
        bind(OutboxItem, settings.outbox_table, settings)
        create_missing(RegistryItem, OutboxItem)
        yield DynamoDeploymentStore()


def deployment(deployment_id: str, at: str, version: int = 1) -> Deployment:
    return Deployment(deployment_id, "iris", RID, version, "champion", "serverless", at, version, 100)


def event(kind: str) -> DomainEvent:
    return DomainEvent("trackway.deployment", kind, {"name": "iris"})


def outbox() -> list[str]:
    return sorted(item.detail_type for item in OutboxItem.scan())


def test_a_claim_is_written_once_with_its_event(store: DynamoDeploymentStore) -> None:
    first = deployment("a" * 32, "2026-01-01T00:00:01.000Z")
    assert store.start(first, [event("deployment.started")])
    assert not store.start(first, [event("deployment.started")])
    assert outbox() == ["deployment.started"]
    found = store.get(RID, first.requested_at, first.deployment_id)
    assert found == first


def test_take_over_and_finish_are_conditional_on_the_attempt(store: DynamoDeploymentStore) -> None:
    claim = deployment("a" * 32, "2026-01-01T00:00:01.000Z")
    store.start(claim, [])
    claim.attempt = 2
    assert store.take_over(claim, expected_attempt=1)
    assert not store.take_over(claim, expected_attempt=1)
    stale = deployment("a" * 32, "2026-01-01T00:00:01.000Z")
    stale.status = DeploymentStatus.FAILED
    with pytest.raises(Conflict):
        store.finish(stale, [event("deployment.failed")])
    claim.status = DeploymentStatus.SUCCEEDED
    store.finish(claim, [event("deployment.succeeded")])
    assert outbox() == ["deployment.succeeded"]
    assert not store.take_over(claim, expected_attempt=2)  # a finished deployment is never taken over


def test_history_is_newest_first_and_skips_the_live_record(store: DynamoDeploymentStore) -> None:
    for number, at in enumerate(["2026-01-01T00:00:02.000Z", "2026-01-01T00:00:01.000Z", "2026-01-01T00:00:03.000Z"]):
        store.start(deployment(f"{number:032x}", at, number + 1), [])
    store.set_live(RID, LiveDeployment(1, "x", 1, "serverless", 0))
    assert [found.version for found in store.history(RID, 10)] == [3, 1, 2]
    assert [found.version for found in store.history(RID, 2)] == [3, 1]
    assert store.history("other", 10) == []


def test_the_live_record_only_moves_forward_and_is_restored_by_its_owner(store: DynamoDeploymentStore) -> None:
    assert store.live(RID) is None
    assert store.set_live(RID, LiveDeployment(2, "d2", 5, "serverless", 1, {"k": "v"}))
    assert not store.set_live(RID, LiveDeployment(1, "d1", 4, "serverless", 2))
    assert store.set_live(RID, LiveDeployment(3, "d3", 6, "serverless", 3))
    previous = LiveDeployment(2, "d2", 5, "serverless", 1, {"k": "v"})
    assert not store.restore_live(RID, previous, replacing="d2")
    assert store.restore_live(RID, previous, replacing="d3")
    assert store.live(RID) == previous
    assert store.restore_live(RID, None, replacing="d2")
    assert store.live(RID) is None
    assert not store.restore_live(RID, None, replacing="d2")


def test_the_lease_has_one_holder_until_it_is_released_or_runs_out(store: DynamoDeploymentStore) -> None:
    assert store.acquire_lease(RID, "a", until=1_000, now=0)
    assert store.acquire_lease(RID, "a", until=2_000, now=10)  # the holder extends it
    assert not store.acquire_lease(RID, "b", until=3_000, now=1_999)
    store.release_lease(RID, "b")  # not the holder: nothing happens
    assert not store.acquire_lease(RID, "b", until=3_000, now=1_999)
    store.release_lease(RID, "a")
    assert store.acquire_lease(RID, "b", until=3_000, now=1_999)
    assert store.acquire_lease(RID, "c", until=9_000, now=3_001)  # b's ran out: b died mid-way
    store.release_lease(RID, "b")  # a late release by the old holder leaves c's lease alone
    assert not store.acquire_lease(RID, "d", until=9_500, now=3_002)
    assert store.history(RID, 10) == [] and store.live(RID) is None  # the lease is neither history nor live


def test_terminal_states_keep_what_is_live_afterwards(store: DynamoDeploymentStore) -> None:
    claim = deployment("a" * 32, "2026-01-01T00:00:01.000Z", version=3)
    store.start(claim, [])
    claim.status, claim.live_version, claim.reason = DeploymentStatus.SUPERSEDED, 2, "champion moved on"
    store.finish(claim, [event("deployment.superseded")])
    found = store.get(RID, claim.requested_at, claim.deployment_id)
    assert found is not None and (found.status, found.live_version) == (DeploymentStatus.SUPERSEDED, 2)
