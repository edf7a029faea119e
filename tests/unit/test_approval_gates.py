"""Gate parsing and evaluation: thresholds, beats-champion, malformed expressions and missing metrics."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trackway_backend.logic.approval.gates import (
    OPERATORS,
    BeatsChampion,
    Champion,
    Malformed,
    Threshold,
    evaluate,
    parse_gate,
    parse_gates,
)

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
ops = st.sampled_from(sorted(OPERATORS))


@pytest.mark.parametrize(
    ("expression", "op", "bound"),
    [
        (">= 0.90", ">=", 0.9),
        (">0.5", ">", 0.5),
        ("<= 1e-3", "<=", 0.001),
        ("  < -2 ", "<", -2.0),
        ("== .5", "==", 0.5),
    ],
)
def test_thresholds_parse(expression: str, op: str, bound: float) -> None:
    assert parse_gate("trackway.gate.accuracy", expression) == Threshold(
        "trackway.gate.accuracy", expression, "accuracy", op, bound
    )


@pytest.mark.parametrize(
    "expression", ["", "0.9", ">= ", "=> 0.9", ">= 0.9 and < 1", ">= nan", ">= inf", "≥ 0.9", "> 1e999"]
)
def test_malformed_expressions_are_kept_as_failing_gates(expression: str) -> None:
    gate = parse_gate("trackway.gate.accuracy", expression)
    assert isinstance(gate, Malformed)
    [result] = evaluate([gate], {"accuracy": 1.0}, None, 1)
    assert not result.passed and "malformed" in result.reason


def test_only_gate_tags_become_gates_and_a_nameless_gate_is_malformed() -> None:
    gates = parse_gates(
        {"team": "vision", "trackway.gate.f1": "> 0.8", "trackway.gate.": ">= 1", "trackway.deploy_alias": "prod"}
    )
    assert [type(gate) for gate in gates] == [Malformed, Threshold]


@pytest.mark.parametrize(
    ("expression", "metric", "higher"),
    [("accuracy", "accuracy", True), ("loss:min", "loss", False), ("f1 : MAX", "f1", True), ("a:b", "a:b", True)],
)
def test_beats_champion_parses_a_metric_and_a_direction(expression: str, metric: str, higher: bool) -> None:
    gate = parse_gate("trackway.gate.beats_champion", expression)
    assert gate == BeatsChampion("trackway.gate.beats_champion", expression, metric, higher)


def test_beats_champion_without_a_metric_is_malformed() -> None:
    assert isinstance(parse_gate("trackway.gate.beats_champion", " :min"), Malformed)


def test_missing_metrics_and_missing_runs_fail_with_their_reason() -> None:
    gates = parse_gates({"trackway.gate.accuracy": ">= 0.9", "trackway.gate.f1_macro": ">= 0.85"})
    accuracy, f1 = evaluate(gates, {"accuracy": 0.95}, None, 1)
    assert accuracy.passed and accuracy.value == 0.95
    assert not f1.passed and f1.reason == "metric 'f1_macro' was not logged on the source run"
    results = evaluate(gates, None, None, 1, "the source run r1 does not exist")
    assert [result.reason for result in results] == ["the source run r1 does not exist"] * 2
    [nan] = evaluate(gates[:1], {"accuracy": math.nan}, None, 1)
    assert not nan.passed and "NaN" in nan.reason


def test_beats_champion_outcomes() -> None:
    [gate] = parse_gates({"trackway.gate.beats_champion": "accuracy"})
    champion = Champion(1, {"accuracy": 0.9})
    assert evaluate([gate], {"accuracy": 0.8}, None, 2)[0].reason == "no champion yet: nothing to beat"
    win = evaluate([gate], {"accuracy": 0.95}, champion, 2)[0]
    assert win.passed and win.champion_value == 0.9 and win.champion_version == 1
    tie = evaluate([gate], {"accuracy": 0.9}, champion, 2)[0]
    assert not tie.passed and "does not beat" in tie.reason
    assert evaluate([gate], {"accuracy": 0.1}, champion, 1)[0].passed  # the champion itself
    assert not evaluate([gate], {}, champion, 2)[0].passed
    unknown = evaluate([gate], {"accuracy": 0.5}, Champion(1, None, "the source run r0 does not exist"), 2)[0]
    assert unknown.passed and "has no accuracy" in unknown.reason
    [lower] = parse_gates({"trackway.gate.beats_champion": "loss:min"})
    assert evaluate([lower], {"loss": 0.1}, Champion(1, {"loss": 0.2}), 2)[0].passed


def test_report_rows_are_json_friendly() -> None:
    [row] = evaluate(parse_gates({"trackway.gate.accuracy": ">= 0.9"}), {"accuracy": 0.5}, None, 1)
    assert row.as_dict() == {
        "gate": "trackway.gate.accuracy",
        "expression": ">= 0.9",
        "metric": "accuracy",
        "value": 0.5,
        "passed": False,
        "reason": "accuracy 0.5 fails >= 0.9",
        "threshold": 0.9,
    }


@given(op=ops, bound=finite, value=finite, spaces=st.sampled_from(["", " ", "  "]))
def test_a_threshold_passes_exactly_when_its_comparison_holds(op: str, bound: float, value: float, spaces: str) -> None:
    gate = parse_gate("trackway.gate.m", f"{spaces}{op}{spaces}{bound!r}{spaces}")
    assert isinstance(gate, Threshold) and gate.bound == bound
    [result] = evaluate([gate], {"m": value}, None, 1)
    assert result.passed is OPERATORS[op](value, bound)


@given(text=st.text(max_size=30), metrics=st.dictionaries(st.text(max_size=5), finite, max_size=3))
def test_any_tag_value_evaluates_without_raising(text: str, metrics: dict[str, float]) -> None:
    gates = parse_gates({"trackway.gate.m": text, "trackway.gate.beats_champion": text})
    results = evaluate(gates, metrics, Champion(1, metrics), 2)
    assert len(results) == 2 and all(result.reason for result in results)
