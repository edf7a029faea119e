"""Registry use cases on an in-memory store: numbering, aliases, stages, deletes and their events."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.fake_deployments import FakeRuns
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.concurrency import RetryPolicy
from trackway_backend.domain import LoggedModel, LoggedModelStatus
from trackway_backend.errors import AlreadyExists, InvalidParameter, NotFound, Unavailable
from trackway_backend.logic.registry import aliases, models, stages, versions
from trackway_backend.logic.registry.search import search_versions
from trackway_backend.registry_domain import Stage

LOGGED = LoggedModel(
    model_id="m-abc",
    experiment_id="1",
    name="model",
    artifact_location="mlflow-artifacts:/1/models/m-abc/artifacts",
    status=LoggedModelStatus.READY,
    creation_timestamp=1,
    last_updated_timestamp=1,
    source_run_id="run1",
)
RUN = "a" * 32
RUN_SOURCE = f"mlflow-artifacts:/1/{RUN}/artifacts/model"


def tracking() -> FakeRuns:
    """Runs `run1` (the logged model's) and RUN, both in experiment 1, and the logged model m-abc."""
    runs = FakeRuns()
    runs.add("run1")
    runs.add(RUN)
    runs.logged_models[LOGGED.model_id] = LOGGED
    return runs


@pytest.fixture
def store() -> InMemoryRegistryStore:
    registry = InMemoryRegistryStore()
    registry.policy = RetryPolicy(sleep=lambda _: None)  # the shared policy, without its waits
    return registry


def new_version(store: InMemoryRegistryStore, name: str = "iris", source: str = RUN_SOURCE, **kw: Any) -> str:
    created = versions.create(
        store,
        kw.get("tracking") or tracking(),
        name,
        source,
        kw.get("run_id"),
        kw.get("tags", {}),
        None,
        None,
        kw.get("model_id"),
        "ana",
    )
    return str(created.version)


def types(store: InMemoryRegistryStore) -> list[str]:
    return [event.detail_type for event in store.outbox]


def test_create_model_emits_one_event_and_rejects_duplicates(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {"team": "cv"}, "flowers", "ana")
    with pytest.raises(AlreadyExists, match="already exists"):
        models.create(store, "iris", {}, None, "ana")
    assert types(store) == ["registered_model.created"]
    assert store.outbox[0].data == {"name": "iris", "tags": {"team": "cv"}, "description": "flowers", "revision": 1}
    assert store.outbox[0].actor == "ana"


def test_versions_are_numbered_from_one_without_gaps_even_when_commits_lose_races(
    store: InMemoryRegistryStore,
) -> None:
    models.create(store, "iris", {}, None, None)
    assert new_version(store) == "1"
    store.lose_races = 3
    assert new_version(store) == "2"
    assert new_version(store) == "3"
    assert types(store).count("model_version.created") == 3
    assert store.get_model("iris").last_version == 3


def test_a_writer_that_keeps_losing_is_told_to_retry_later_not_refused(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    store.lose_races = store.policy.max_attempts
    with pytest.raises(Unavailable) as refused:
        new_version(store)
    assert refused.value.retry_after >= 1
    assert types(store) == ["registered_model.created"]


def test_version_from_a_logged_model_resolves_storage_and_run(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store, source="models:/m-abc", model_id="m-abc")
    found = versions.get(store, "iris", "1")
    assert (found.storage_location, found.run_id, found.model_id) == (LOGGED.artifact_location, "run1", "m-abc")
    assert versions.download_uri(store, "iris", "1") == LOGGED.artifact_location


def test_version_of_a_missing_logged_model_is_invalid(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    with pytest.raises(InvalidParameter, match="Unable to fetch model"):
        new_version(store, source="models:/m-missing")


def test_version_from_another_registered_version_is_stored_where_that_one_is(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store, source="models:/m-abc")
    models.create(store, "copy", {}, None, None)
    new_version(store, "copy", source="models:/iris/1")
    assert versions.download_uri(store, "copy", "1") == LOGGED.artifact_location


def test_alias_moves_carry_the_previous_version_and_a_repeat_is_no_change(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    new_version(store)
    aliases.set_alias(store, "iris", "champion", "1", None)
    aliases.set_alias(store, "iris", "champion", "2", None)
    aliases.set_alias(store, "iris", "champion", "2", None)
    moves = [e.data for e in store.outbox if e.detail_type == "model_version_alias.created"]
    assert [(m["version"], m["previous_version"]) for m in moves] == [("1", None), ("2", "1")]
    assert aliases.get_by_alias(store, "iris", "champion").aliases == ["champion"]
    assert aliases.get_by_alias(store, "iris", "latest").version == 2


def test_alias_rules(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    for reserved in ("latest", "LATEST", "v1", "V12"):
        with pytest.raises(InvalidParameter, match="reserved"):
            aliases.set_alias(store, "iris", reserved, "1", None)
    with pytest.raises(InvalidParameter, match="Invalid alias"):
        aliases.set_alias(store, "iris", "a b", "1", None)
    with pytest.raises(NotFound):
        aliases.set_alias(store, "iris", "champion", "7", None)
    with pytest.raises(InvalidParameter, match="not found"):
        aliases.get_by_alias(store, "iris", "champion")


def test_deleting_an_alias_emits_once_and_a_missing_one_is_silent(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    aliases.set_alias(store, "iris", "champion", "1", None)
    aliases.delete_alias(store, "iris", "champion", None)
    aliases.delete_alias(store, "iris", "champion", None)
    deleted = [e.data for e in store.outbox if e.detail_type == "model_version_alias.deleted"]
    assert deleted == [{"name": "iris", "alias": "champion", "previous_version": "1", "revision": 4}]


def test_transition_archives_existing_versions_in_one_change(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    for _ in range(3):
        new_version(store)
    stages.transition(store, "iris", "1", "production", False, None)
    stages.transition(store, "iris", "2", "Production", False, None)
    moved = stages.transition(store, "iris", "3", "PRODUCTION", True, None)
    assert moved.current_stage is Stage.PRODUCTION
    stages_now = {v.version: v.current_stage for v in store.list_versions([store.get_model("iris")])}
    assert stages_now == {1: Stage.ARCHIVED, 2: Stage.ARCHIVED, 3: Stage.PRODUCTION}
    last = store.outbox[-1]
    assert last.detail_type == "model_version.stage_transitioned"
    assert last.data["archived_versions"] == ["1", "2"] and last.data["from_stage"] == "None"
    assert [v.version for v in models.latest_versions(store, "iris", ["Production"])] == [3]
    assert [v.version for v in models.latest_versions(store, "iris", [])] == [2, 3]


def test_archiving_needs_an_active_stage_and_stages_are_validated(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    with pytest.raises(InvalidParameter, match="not an Active stage"):
        stages.transition(store, "iris", "1", "Archived", True, None)
    with pytest.raises(InvalidParameter, match="Invalid Model Version stage"):
        stages.transition(store, "iris", "1", "Prod", False, None)


def test_deleting_a_version_removes_its_aliases_keeps_the_counter_and_fixes_latest(
    store: InMemoryRegistryStore,
) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    new_version(store)
    aliases.set_alias(store, "iris", "champion", "2", None)
    versions.delete(store, "iris", "2", None)
    model = models.get(store, "iris")
    assert model.aliases == {} and [v.version for v in model.latest_versions] == [1]
    assert store.outbox[-1].data["aliases"] == ["champion"]
    assert new_version(store) == "3"
    with pytest.raises(NotFound):
        versions.get(store, "iris", "2")


def test_version_tags_emit_set_and_deleted_and_a_missing_tag_is_silent(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    versions.set_tag(store, "iris", "1", "approved", "yes", None)
    versions.delete_tag(store, "iris", "1", "approved", None)
    versions.delete_tag(store, "iris", "1", "approved", None)
    assert types(store)[-2:] == ["model_version_tag.set", "model_version_tag.deleted"]
    assert versions.get(store, "iris", "1").tags == {}


def test_rename_keeps_versions_and_refuses_a_taken_name(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    models.create(store, "taken", {}, None, None)
    new_version(store)
    with pytest.raises(AlreadyExists):
        models.rename(store, "iris", "taken")
    renamed = models.rename(store, "iris", "iris-v2")
    assert [v.name for v in renamed.latest_versions] == ["iris-v2"]
    with pytest.raises(NotFound):
        models.get(store, "iris")


def test_deleting_a_model_emits_once(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    new_version(store)
    models.delete(store, "iris", "ana")
    assert types(store)[-1] == "registered_model.deleted"
    with pytest.raises(NotFound):
        models.get(store, "iris")
    models.create(store, "iris", {}, None, None)
    assert new_version(store) == "1"


def test_model_tags_and_description_change_without_events(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    models.set_tag(store, "iris", "team", "cv")
    models.update(store, "iris", "new description")
    models.delete_tag(store, "iris", "missing")
    model = models.get(store, "iris")
    assert (model.tags, model.description) == ({"team": "cv"}, "new description")
    assert types(store) == ["registered_model.created"]


def test_search_versions_hides_prompts_unless_asked(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    models.create(store, "prompt", {"mlflow.prompt.is_prompt": "true"}, None, None)
    new_version(store)
    new_version(store, "prompt", tags={"mlflow.prompt.is_prompt": "true"})
    found = search_versions(store, "tags.`mlflow.prompt.is_prompt` != 'true'", [], 100, None)
    assert [(v.name, v.version) for v in found.items] == [("iris", 1)]
    prompts = search_versions(store, "tags.`mlflow.prompt.is_prompt` = 'true'", [], 100, None)
    assert [v.name for v in prompts.items] == ["prompt"]


def test_search_registered_models_pages_in_name_order(store: InMemoryRegistryStore) -> None:
    for name in ("b", "a", "c"):
        models.create(store, name, {}, None, None)
    first = models.search(store, None, [], 2, None)
    assert [m.name for m in first.items] == ["a", "b"] and first.next_page_token
    second = models.search(store, None, [], 2, first.next_page_token)
    assert [m.name for m in second.items] == ["c"] and second.next_page_token is None
    assert [m.name for m in models.search(store, "name = 'b'", [], 10, None).items] == ["b"]


def test_events_stay_far_below_the_putevents_entry_limit(store: InMemoryRegistryStore) -> None:
    models.create(store, "iris", {}, None, None)
    tags = {f"k{n}": "é" * 40_000 for n in range(2)}
    versions.create(store, tracking(), "iris", RUN_SOURCE, RUN, tags, None, "d" * 200_000, None, None)
    versions.set_tag(store, "iris", "1", "big", "v" * 100_000, None)
    for event in store.outbox:
        assert len(json.dumps(event.detail).encode()) < 200_000
    created = store.outbox[1].data
    assert created["tags"]["k0"] == "é" * 2_048 and len(created["description"]) == 4_096
    assert versions.get(store, "iris", "1").tags["k0"] == "é" * 40_000
