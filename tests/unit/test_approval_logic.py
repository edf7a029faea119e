"""The approval use case on in-memory stores: tags, the staging alias, events, idempotency."""

from __future__ import annotations

import json

import pytest

from tests.support.fake_deployments import FakeRuns
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.domain import Metric
from trackway_backend.errors import InvalidParameter, PermissionDenied
from trackway_backend.logic.approval.approve import REPORT_TAG, STATUS_TAG, Trigger, approve
from trackway_backend.logic.registry import aliases, models, versions

NAME = "iris-classifier"
GATES = {"trackway.gate.accuracy": ">= 0.90", "trackway.gate.f1_macro": ">= 0.85"}


@pytest.fixture
def registry() -> InMemoryRegistryStore:
    return InMemoryRegistryStore()


@pytest.fixture
def runs() -> FakeRuns:
    return FakeRuns()


def register(registry: InMemoryRegistryStore, runs: FakeRuns, run_id: str | None, **metrics: float) -> int:
    """A version from a run logged with `metrics`; `run_id=None` registers one whose run is gone since."""
    runs.add(run_id or "gone", **metrics)
    source = f"mlflow-artifacts:/1/{run_id or 'gone'}/artifacts/model"
    created = versions.create(registry, runs, NAME, source, run_id or "gone", {}, None, None, None, "ana").version
    if run_id is None:
        del runs.runs["gone"]
    return created


def trigger(registry: InMemoryRegistryStore, version: int, event_id: str = "e" * 32) -> Trigger:
    revision = registry.get_model(NAME).revision
    return Trigger(NAME, version, event_id, "model_version.created", revision)


def setup_model(registry: InMemoryRegistryStore, tags: dict[str, str]) -> None:
    models.create(registry, NAME, tags, None, "ana")


def test_a_passing_version_is_approved_tagged_and_staged(registry: InMemoryRegistryStore, runs: FakeRuns) -> None:
    setup_model(registry, GATES)
    version = register(registry, runs, "r1", accuracy=0.97, f1_macro=0.96)
    registry.outbox.clear()
    outcome = approve(registry, runs, trigger(registry, version))
    assert outcome.status == "approved"
    stored = registry.get_version(registry.get_model(NAME), version)
    assert stored.tags[STATUS_TAG] == "approved"
    report = json.loads(stored.tags[REPORT_TAG])
    assert [(gate["metric"], gate["passed"]) for gate in report["gates"]] == [("accuracy", True), ("f1_macro", True)]
    assert report["trigger"]["event_id"] == "e" * 32 and report["run_id"] == "r1"
    assert registry.get_model(NAME).aliases == {"staging": version}
    assert [(event.source, event.detail_type) for event in registry.outbox] == [
        ("trackway.approval", "model_version.approved"),
        ("trackway.registry", "model_version_alias.created"),
    ]
    approved, moved = registry.outbox
    assert approved.data["status"] == "approved" and approved.data["version"] == "1"
    assert moved.data == {
        "name": NAME,
        "alias": "staging",
        "version": "1",
        "previous_version": None,
        "revision": approved.data["revision"],
    }


def test_a_failing_version_is_rejected_with_reasons_and_not_staged(
    registry: InMemoryRegistryStore, runs: FakeRuns
) -> None:
    setup_model(registry, GATES)
    version = register(registry, runs, "r1", accuracy=0.5)
    registry.outbox.clear()
    outcome = approve(registry, runs, trigger(registry, version))
    assert outcome.status == "rejected" and outcome.report is not None
    assert [gate["reason"] for gate in outcome.report["gates"]] == [
        "accuracy 0.5 fails >= 0.9",
        "metric 'f1_macro' was not logged on the source run",
    ]
    assert "staging" not in registry.get_model(NAME).aliases
    assert [event.detail_type for event in registry.outbox] == ["model_version.rejected"]


def test_a_version_without_a_run_and_a_malformed_gate_are_rejected_never_raised(
    registry: InMemoryRegistryStore, runs: FakeRuns
) -> None:
    setup_model(registry, {"trackway.gate.accuracy": "at least 0.9"})
    version = register(registry, runs, None)
    outcome = approve(registry, runs, trigger(registry, version))
    assert outcome.status == "rejected" and outcome.report is not None
    assert "malformed gate expression" in outcome.report["gates"][0]["reason"]


def test_the_same_event_twice_decides_once(registry: InMemoryRegistryStore, runs: FakeRuns) -> None:
    setup_model(registry, GATES)
    version = register(registry, runs, "r1", accuracy=0.97, f1_macro=0.96)
    event = trigger(registry, version)
    registry.outbox.clear()
    assert approve(registry, runs, event).status == "approved"
    again = approve(registry, runs, event)
    assert again.status is None and "already decided" in again.note
    assert [e.detail_type for e in registry.outbox].count("model_version.approved") == 1


def test_a_lost_race_rereads_and_a_newer_trigger_decides_again(registry: InMemoryRegistryStore, runs: FakeRuns) -> None:
    setup_model(registry, {**GATES, "trackway.gate.beats_champion": "accuracy"})
    first = register(registry, runs, "r1", accuracy=0.93, f1_macro=0.9)
    registry.lose_races = 2
    assert approve(registry, runs, trigger(registry, first)).status == "approved"
    aliases.set_alias(registry, NAME, "champion", str(first), "ana")
    second = register(registry, runs, "r2", accuracy=0.92, f1_macro=0.95)
    assert approve(registry, runs, trigger(registry, second, "a" * 32)).status == "rejected"
    runs.runs["r2"].metrics["accuracy"] = Metric("accuracy", 0.99, 2)  # re-evaluated, it now beats the champion
    aliases.set_alias(registry, NAME, "challenger", str(second), "ana")
    stale = Trigger(NAME, second, "a" * 32, "model_version.created", 1)
    assert approve(registry, runs, stale).status is None
    challenger = Trigger(NAME, second, "b" * 32, "model_version_alias.created", registry.get_model(NAME).revision)
    assert approve(registry, runs, challenger).status == "approved"
    assert registry.get_model(NAME).aliases["staging"] == second


def test_models_without_gates_and_missing_versions_are_left_alone(
    registry: InMemoryRegistryStore, runs: FakeRuns
) -> None:
    setup_model(registry, {"team": "vision"})
    version = register(registry, runs, "r1", accuracy=0.97)
    assert approve(registry, runs, trigger(registry, version)).note == "the model has no trackway.gate.* tags"
    models.set_tag(registry, NAME, "trackway.gate.accuracy", ">= 0.9")
    gone = approve(registry, runs, trigger(registry, 99))
    assert gone.status is None and "not found" in gone.note
    assert approve(registry, runs, Trigger("nope", 1, "c" * 32, "model_version.created", 1)).status is None


def test_the_gates_read_the_logged_models_source_run_not_a_caller_chosen_one(
    registry: InMemoryRegistryStore, runs: FakeRuns
) -> None:
    setup_model(registry, GATES)
    runs.add("trained", accuracy=0.5, f1_macro=0.5)
    runs.add("flattering", accuracy=0.99, f1_macro=0.99)
    model_id = runs.add_logged_model("m-" + "1" * 32, source_run_id="trained")
    with pytest.raises(InvalidParameter, match="not the source run"):
        versions.create(registry, runs, NAME, f"models:/{model_id}", "flattering", {}, None, None, model_id, "ana")
    version = versions.create(registry, runs, NAME, f"models:/{model_id}", None, {}, None, None, model_id, "ana")
    assert version.run_id == "trained"
    outcome = approve(registry, runs, trigger(registry, version.version))
    assert outcome.status == "rejected" and outcome.report is not None and outcome.report["run_id"] == "trained"


def test_approval_tags_are_written_only_by_approval(registry: InMemoryRegistryStore, runs: FakeRuns) -> None:
    setup_model(registry, GATES)
    version = register(registry, runs, "r1", accuracy=0.5, f1_macro=0.5)
    forged = json.dumps({"status": "approved", "trigger": {"revision": 10**9}})
    for write in (
        lambda: versions.set_tag(registry, NAME, str(version), REPORT_TAG, forged, "mallory"),
        lambda: versions.set_tag(registry, NAME, str(version), STATUS_TAG, "approved", "mallory"),
        lambda: versions.delete_tag(registry, NAME, str(version), STATUS_TAG, "mallory"),
        lambda: models.set_tag(registry, NAME, STATUS_TAG, "approved"),
        lambda: models.delete_tag(registry, NAME, REPORT_TAG),
    ):
        with pytest.raises(PermissionDenied):
            write()
    outcome = approve(registry, runs, trigger(registry, version))
    assert outcome.status == "rejected"  # the forged report could not make approval skip the version
    assert registry.get_version(registry.get_model(NAME), version).tags[STATUS_TAG] == "rejected"
