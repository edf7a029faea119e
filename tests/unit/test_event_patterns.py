"""The local bus's EventBridge pattern matcher, checked against moto's matcher on the real samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto.events.models import EventPattern

from trackway_backend.local.event_patterns import matches

SAMPLES = [json.loads(p.read_text()) for p in sorted((Path(__file__).parents[2] / "events" / "samples").glob("*.json"))]
ALIAS = next(sample for sample in SAMPLES if sample["detail-type"] == "model_version_alias.created")

PATTERNS: list[dict[str, Any]] = [
    {"source": ["trackway.registry"]},
    {"source": ["trackway.tracking"], "detail-type": ["run.finished"]},
    {"detail-type": ["model_version_alias.created"], "detail": {"data": {"alias": ["champion"]}}},
    {"detail-type": ["model_version_alias.created"], "detail": {"data": {"alias": ["challenger"]}}},
    {"source": [{"prefix": "trackway."}]},
    {"detail-type": [{"suffix": ".created"}]},
    {"detail-type": [{"anything-but": ["run.finished", "model_version.created"]}]},
    {"detail-type": [{"anything-but": {"prefix": "model_version"}}]},
    {"detail": {"actor": [None]}},
    {"detail": {"data": {"previous_version": [{"exists": True}]}}},
    {"detail": {"data": {"previous_version": [{"exists": False}]}}},
    {"detail": {"data": {"revision": [{"numeric": [">", 5, "<=", 8]}]}}},
    {"detail": {"data": {"archived_versions": ["2"]}}},
    {"detail": {"data": {"name": [{"equals-ignore-case": "IRIS-CLASSIFIER"}]}}},
    {"detail": {"data": {"name": [{"wildcard": "iris-*"}]}}},
    {"detail": {"actor": [{"prefix": "arn:aws:iam::"}]}},
    {"$or": [{"detail-type": ["run.finished"]}, {"detail": {"data": {"to_stage": ["Production"]}}}]},
    {"detail": {"data": {"status": ["FINISHED"], "end_time": [{"numeric": [">", 0]}]}}},
]


@pytest.mark.parametrize("pattern", PATTERNS, ids=[json.dumps(p)[:60] for p in PATTERNS])
def test_agrees_with_moto_on_every_sample(pattern: dict[str, Any]) -> None:
    moto = EventPattern.load(json.dumps(pattern))
    ours = [matches(pattern, sample) for sample in SAMPLES]
    assert ours == [moto.matches_event(sample) for sample in SAMPLES]
    # The samples carry one alias, so one of the two alias patterns has nothing to match.
    assert any(ours) or "alias" in pattern.get("detail", {}).get("data", {})


def test_literals_are_typed() -> None:
    event = {"detail": {"n": 1, "flag": True, "s": "1"}}
    assert matches({"detail": {"n": [1.0]}}, event)
    assert not matches({"detail": {"n": ["1"]}}, event)
    assert not matches({"detail": {"flag": [1]}}, event)
    assert matches({"detail": {"s": ["1"]}}, event)


def test_a_missing_field_matches_only_exists_false() -> None:
    assert not matches({"detail": {"data": {"nope": ["x"]}}}, ALIAS)
    assert not matches({"detail": {"data": {"nope": [{"anything-but": "x"}]}}}, ALIAS)
    assert matches({"detail": {"data": {"nope": [{"exists": False}]}}}, ALIAS)


def test_unknown_operators_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        matches({"source": [{"bogus": 1}]}, ALIAS)
