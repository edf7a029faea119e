"""Contract and integration: the approval and deployment handlers on moto, fed the registry's real events,
emit events valid against events/schemas, decide and deploy once per event, and record the history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from aws_lambda_powertools.utilities.parser import ValidationError
from moto.events.models import EventPattern

from tests.support.approval_deploy_capture import NAME, TYPES, Chain, chain, the_story
from tests.support.event_capture import ENVIRONMENT, EVENTS_DIR
from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
from trackway_backend.local.events_bus import load_rules
from trackway_backend.logic.deployment.history import list_deployments
from trackway_backend.wire.event_models import parse_registry_event

SCHEMAS = {path.stem: json.loads(path.read_text()) for path in sorted((EVENTS_DIR / "schemas").glob("*.json"))}
SAMPLES = {path.stem: json.loads(path.read_text()) for path in sorted((EVENTS_DIR / "samples").glob("*.json"))}


@pytest.fixture(scope="module")
def story() -> Iterator[tuple[Chain, dict[str, list[dict[str, Any]]]]]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ENVIRONMENT.items():
            patch.setenv(key, value)
        with chain() as found:
            yield found, the_story(found)


def validate(event: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(SCHEMAS[event["detail-type"]]).validate(event)


def test_every_new_type_has_a_valid_schema_and_sample() -> None:
    for detail_type in TYPES:
        jsonschema.Draft202012Validator.check_schema(SCHEMAS[detail_type])
        validate(SAMPLES[detail_type])


def test_every_emitted_event_is_schema_valid(story: tuple[Chain, dict[str, list[dict[str, Any]]]]) -> None:
    _, produced = story
    assert set(TYPES) <= set(produced)
    for events in produced.values():
        for event in events:
            validate(event)


def test_the_story_decides_stages_deploys_and_rolls_back(story: tuple[Chain, dict[str, list[dict[str, Any]]]]) -> None:
    found, produced = story
    assert [e["detail"]["data"]["version"] for e in produced["model_version.approved"]] == ["1", "3"]
    assert [e["detail"]["data"]["version"] for e in produced["model_version.rejected"]] == ["2"]
    staging = [e["detail"]["data"] for e in produced["model_version_alias.created"] if e["detail"]["actor"]]
    assert [(d["alias"], d["version"]) for d in staging if d["alias"] == "staging"] == [
        ("staging", "1"),
        ("staging", "3"),
    ]
    _, body = found.call("GET", "model-versions/get", name=NAME, version="2")
    tags = {tag["key"]: tag["value"] for tag in body["model_version"]["tags"]}
    assert tags["approval_status"] == "rejected"
    assert {gate["gate"] for gate in json.loads(tags["approval_report"])["gates"] if not gate["passed"]} == {
        "trackway.gate.accuracy",
        "trackway.gate.beats_champion",
        "trackway.gate.f1_macro",
    }
    assert [e["detail"]["data"]["status"] for e in produced["deployment.failed"]] == ["ROLLED_BACK"]
    [rolled_back] = produced["deployment.rolled_back"]
    assert rolled_back["detail"]["data"]["live_version"] == "1"
    history = list_deployments(DynamoRegistryStore(), DynamoDeploymentStore(), NAME, 10)
    assert [(d["version"], d["status"], d["previous_version"], d["live_version"]) for d in history["deployments"]] == [
        ("1", "SUCCEEDED", "1", "1"),
        ("3", "SUPERSEDED", "1", "1"),
        ("2", "REFUSED", "1", "1"),
        ("3", "ROLLED_BACK", "1", "1"),
        ("1", "SUCCEEDED", None, "1"),
    ]
    refused = history["deployments"][2]["reason"]
    assert "version 2 is not approved" in refused and "rejected" in refused
    assert history["deployments"][1]["reason"] == "champion has moved on to version 1"
    assert history["live"]["version"] == "1"
    by_id: dict[str, list[str]] = {}
    for kind, events in produced.items():
        for event in events:
            if kind.startswith("deployment."):
                by_id.setdefault(event["detail"]["data"]["deployment_id"], []).append(kind)
    assert sorted(sorted(kinds) for kinds in by_id.values()) == sorted(
        [
            ["deployment.started", "deployment.succeeded"],
            ["deployment.failed", "deployment.rolled_back", "deployment.started"],
            ["deployment.refused"],
            ["deployment.started", "deployment.superseded"],
            ["deployment.started", "deployment.succeeded"],
        ]
    ), by_id


def test_redelivered_events_change_nothing(story: tuple[Chain, dict[str, list[dict[str, Any]]]]) -> None:
    found, produced = story
    created = [e for e in produced["model_version.created"] if e["detail"]["data"]["version"] == "1"]
    moved = [e for e in produced["model_version_alias.created"] if e["detail"]["data"]["alias"] == "champion"]
    assert found.approve(created) == []
    assert found.deploy(moved) == []


def test_consumers_parse_the_registry_samples_and_refuse_anything_else() -> None:
    created = parse_registry_event(SAMPLES["model_version.created"])
    moved = parse_registry_event(SAMPLES["model_version_alias.created"])
    assert (created.detail.data.version, moved.detail.data.alias) == ("2", "challenger")
    broken = json.loads(json.dumps(SAMPLES["model_version_alias.created"]))
    broken["detail"]["event_id"] = "not-an-id"
    with pytest.raises(ValidationError):
        parse_registry_event(broken)


def test_rules_send_challengers_to_approval_and_never_loop_on_our_own_events() -> None:
    rules = load_rules()
    challenger = json.loads(json.dumps(SAMPLES["model_version_alias.created"]))
    challenger["detail"]["data"]["alias"] = "challenger"
    routed = {
        name for name, rule in rules.items() if EventPattern.load(json.dumps(rule["pattern"])).matches_event(challenger)
    }
    assert routed == {"approval-on-challenger-alias", "deployment-on-alias-moved"}
    for detail_type in TYPES:
        for rule in rules.values():
            assert not EventPattern.load(json.dumps(rule["pattern"])).matches_event(SAMPLES[detail_type])
