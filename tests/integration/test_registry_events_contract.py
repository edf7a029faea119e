"""Contract: every change emits exactly one event, valid against its schema in events/schemas; the samples
in events/samples are valid too, and the local rules route them as EventBridge would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from moto.events.models import EventPattern

from tests.support.event_capture import ENVIRONMENT, EVENTS_DIR, every_change, registry_backend
from trackway_backend.local.event_patterns import matches
from trackway_backend.local.events_bus import load_rules

SCHEMAS = {path.stem: json.loads(path.read_text()) for path in sorted((EVENTS_DIR / "schemas").glob("*.json"))}
SAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted((EVENTS_DIR / "samples").glob("*.json"))}
EVENT_TYPES = {
    "registered_model.created",
    "registered_model.deleted",
    "model_version.created",
    "model_version.deleted",
    "model_version_tag.set",
    "model_version_tag.deleted",
    "model_version_alias.created",
    "model_version_alias.deleted",
    "model_version.stage_transitioned",
    "run.finished",
}


@pytest.fixture(scope="module")
def produced() -> Iterator[list[tuple[str, list[dict[str, Any]]]]]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENVIRONMENT.items():
            patch.setenv(key, value)
        with registry_backend() as (call, track):
            yield every_change(call, track)


def validate(event: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMAS[event["detail-type"]]).validate(event)


def test_every_type_has_a_schema_and_a_sample() -> None:
    # Other producers (approval, deployment) keep their own types here too, checked by their own contract tests.
    assert set(SCHEMAS) >= EVENT_TYPES
    assert set(SAMPLES) == set(SCHEMAS)
    for schema in SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_every_change_emits_exactly_one_schema_valid_event(produced: list[tuple[str, list[dict[str, Any]]]]) -> None:
    assert {expected for expected, _ in produced} == EVENT_TYPES
    for expected, events in produced:
        assert [event["detail-type"] for event in events] == [expected]
        validate(events[0])


def test_event_ids_are_unique_and_revisions_increase(produced: list[tuple[str, list[dict[str, Any]]]]) -> None:
    events = [event for _, found in produced for event in found]
    assert len({event["detail"]["event_id"] for event in events}) == len(events)
    revisions = [event["detail"]["data"]["revision"] for event in events if event["source"] == "trackway.registry"]
    assert revisions == sorted(revisions) and len(set(revisions)) == len(revisions)


def test_the_alias_move_carries_the_previous_version(produced: list[tuple[str, list[dict[str, Any]]]]) -> None:
    moves = [events[0]["detail"]["data"] for kind, events in produced if kind == "model_version_alias.created"]
    assert [(move["version"], move["previous_version"]) for move in moves] == [("2", None), ("1", "2")]


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_are_valid(name: str) -> None:
    validate(SAMPLES[name])


def test_schemas_reject_drift() -> None:
    sample = json.loads(json.dumps(SAMPLES["model_version_alias.created"]))
    sample["detail"]["data"]["unexpected"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(sample)
    del sample["detail"]["data"]["unexpected"], sample["detail"]["event_id"]
    with pytest.raises(jsonschema.ValidationError):
        validate(sample)


def test_rules_route_the_samples_as_moto_does() -> None:
    """Our matcher and moto's agree on every rule and every sample (the CDK stack uses the same patterns)."""
    rules = load_rules(Path(EVENTS_DIR / "rules.json"))
    routed = set()
    for name, rule in rules.items():
        for sample in SAMPLES.values():
            ours = matches(rule["pattern"], sample)
            assert ours == EventPattern.load(json.dumps(rule["pattern"])).matches_event(sample), (name, sample)
            if ours:
                routed.add((name, sample["detail-type"]))
    assert {
        ("approval-on-version-created", "model_version.created"),
        ("deployment-on-alias-moved", "model_version_alias.created"),
    } <= routed
