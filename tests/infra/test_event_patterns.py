"""Every rule in events/rules.json matches the real sample events it is meant for (moto's pattern matcher)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trackway_infra.constants import EVENTS_DIR
from trackway_infra.events import load_rules

moto_events = pytest.importorskip("moto.events.models", reason="moto (dev dependency) provides the matcher")

RULES = load_rules()
SAMPLES_DIR = EVENTS_DIR / "samples"


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    return bool(moto_events.EventPattern.load(json.dumps(pattern)).matches_event(event))


def samples() -> dict[Path, dict[str, Any]]:
    return {path: json.loads(path.read_text()) for path in sorted(SAMPLES_DIR.glob("*.json"))}


def event(source: str, detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "source": source,
        "detail-type": detail_type,
        "account": "111122223333",
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_matches_a_sample_of_each_detail_type_it_names(name: str) -> None:
    pattern = RULES[name]["pattern"]
    all_samples = samples()
    for detail_type in pattern["detail-type"]:
        named = {path: sample for path, sample in all_samples.items() if sample.get("detail-type") == detail_type}
        if not named:
            pytest.skip(f"no sample yet in events/samples/ with detail-type {detail_type!r} (rule {name})")
        assert any(matches(pattern, sample) for sample in named.values()), (
            f"rule {name} matches none of {sorted(p.name for p in named)}; add a sample it is meant to match "
            f"or fix the pattern {pattern}"
        )


def test_every_sample_is_a_full_eventbridge_event() -> None:
    for path, sample in samples().items():
        assert {"source", "detail-type", "detail"} <= set(sample), path.name
        assert sample["source"].startswith("trackway."), path.name


# The matcher itself, on events built here, so a broken matcher cannot make the sample test pass vacuously.
def test_matcher_honours_source_detail_type_and_nested_detail() -> None:
    challenger = RULES["approval-on-challenger-alias"]["pattern"]
    created = {"data": {"name": "m", "alias": "challenger", "version": "3"}}
    assert matches(challenger, event("trackway.registry", "model_version_alias.created", created))
    champion = {"data": {"name": "m", "alias": "champion", "version": "3"}}
    assert not matches(challenger, event("trackway.registry", "model_version_alias.created", champion))
    assert not matches(challenger, event("trackway.tracking", "model_version_alias.created", created))
    assert not matches(challenger, event("trackway.registry", "model_version_alias.deleted", created))


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_ignores_other_sources(name: str) -> None:
    pattern = RULES[name]["pattern"]
    for detail_type in pattern["detail-type"]:
        assert not matches(pattern, event("someone.else", detail_type, {"data": {"alias": "challenger"}}))
