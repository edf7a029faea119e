"""Quality gates: parsed from registered-model tags, evaluated against metrics. Pure functions.

`trackway.gate.<metric> = "<op> <number>"` (op one of >=, >, <=, <, ==) is a threshold on the source run's
latest value of `<metric>`. `trackway.gate.beats_champion = "<metric>"` (or `"<metric>:min"` when lower is
better) requires a strictly better value than the current champion's. A gate that cannot be parsed is kept
as `Malformed`: it fails with its reason, so a typo rejects a version instead of silently passing it.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

GATE_PREFIX = "trackway.gate."
BEATS_CHAMPION = "beats_champion"
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
}
_THRESHOLD = re.compile(r"^\s*(>=|<=|==|>|<)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$")
_DIRECTIONS = {"max": True, "min": False}


@dataclass(frozen=True)
class Threshold:
    key: str
    expression: str
    metric: str
    op: str
    bound: float


@dataclass(frozen=True)
class BeatsChampion:
    key: str
    expression: str
    metric: str
    higher_is_better: bool = True


@dataclass(frozen=True)
class Malformed:
    key: str
    expression: str
    reason: str


Gate = Threshold | BeatsChampion | Malformed


@dataclass(frozen=True)
class Champion:
    """The version behind the champion alias, with its source run's metrics (None when unreadable)."""

    version: int
    metrics: Mapping[str, float] | None
    unavailable_reason: str | None = None


@dataclass(frozen=True)
class GateResult:
    gate: str
    expression: str
    metric: str | None
    value: float | None
    passed: bool
    reason: str
    threshold: float | None = None
    champion_version: int | None = None
    champion_value: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {name: value for name, value in vars(self).items() if value is not None or name == "value"}


def parse_gates(tags: Mapping[str, str]) -> list[Gate]:
    """Every `trackway.gate.*` tag as a gate, in key order."""
    return [parse_gate(key, value) for key, value in sorted(tags.items()) if key.startswith(GATE_PREFIX)]


def parse_gate(key: str, expression: str) -> Gate:
    name = key[len(GATE_PREFIX) :].strip()
    if not name:
        return Malformed(key, expression, f"gate tag '{key}' names no metric")
    if name == BEATS_CHAMPION:
        return _parse_beats_champion(key, expression)
    found = _THRESHOLD.match(expression)
    if found is None:
        return Malformed(
            key,
            expression,
            f"malformed gate expression {expression!r}: expected '<op> <number>' with op one of "
            f"{', '.join(OPERATORS)}, e.g. '>= 0.90'",
        )
    bound = float(found.group(2))
    if not math.isfinite(bound):
        return Malformed(key, expression, f"malformed gate expression {expression!r}: the bound is not finite")
    return Threshold(key, expression, name, found.group(1), bound)


def _parse_beats_champion(key: str, expression: str) -> Gate:
    metric, higher_is_better = expression.strip(), True
    head, separator, direction = metric.rpartition(":")
    if separator and direction.strip().lower() in _DIRECTIONS:
        metric, higher_is_better = head.strip(), _DIRECTIONS[direction.strip().lower()]
    if not metric:
        return Malformed(key, expression, f"malformed gate expression {expression!r}: expected a metric name")
    return BeatsChampion(key, expression, metric, higher_is_better)


def evaluate(
    gates: list[Gate],
    metrics: Mapping[str, float] | None,
    champion: Champion | None,
    version: int,
    missing_run_reason: str = "the version has no source run",
) -> list[GateResult]:
    """One result per gate. `metrics` is None when the source run cannot be read (`missing_run_reason`)."""
    return [_evaluate(gate, metrics, champion, version, missing_run_reason) for gate in gates]


def _evaluate(
    gate: Gate, metrics: Mapping[str, float] | None, champion: Champion | None, version: int, missing_run: str
) -> GateResult:
    if isinstance(gate, Malformed):
        return GateResult(gate.key, gate.expression, None, None, False, gate.reason)
    value, missing = _metric(metrics, gate.metric, missing_run)
    if isinstance(gate, Threshold):
        if value is None:
            return GateResult(gate.key, gate.expression, gate.metric, None, False, missing, threshold=gate.bound)
        passed = OPERATORS[gate.op](value, gate.bound)
        reason = f"{gate.metric} {value:g} {gate.op if passed else 'fails ' + gate.op} {gate.bound:g}"
        return GateResult(gate.key, gate.expression, gate.metric, value, passed, reason, threshold=gate.bound)
    return _beats_champion(gate, value, missing, champion, version)


def _beats_champion(
    gate: BeatsChampion, value: float | None, missing: str, champion: Champion | None, version: int
) -> GateResult:
    def result(passed: bool, reason: str, champion_value: float | None = None) -> GateResult:
        number = champion.version if champion else None
        return GateResult(gate.key, gate.expression, gate.metric, value, passed, reason, None, number, champion_value)

    if champion is None:
        return result(True, "no champion yet: nothing to beat")
    if champion.version == version:
        return result(True, f"version {version} is the champion itself")
    if value is None:
        return result(False, missing)
    theirs, their_missing = _metric(champion.metrics, gate.metric, champion.unavailable_reason or "")
    if theirs is None:
        return result(True, f"the champion (version {champion.version}) has no {gate.metric}: {their_missing}")
    better = value > theirs if gate.higher_is_better else value < theirs
    relation = "beats" if better else "does not beat"
    return result(
        better, f"{gate.metric} {value:g} {relation} the champion's {theirs:g} (version {champion.version})", theirs
    )


def _metric(metrics: Mapping[str, float] | None, name: str, missing_run: str) -> tuple[float | None, str]:
    if metrics is None:
        return None, missing_run
    value = metrics.get(name)
    if value is None:
        return None, f"metric '{name}' was not logged on the source run"
    if math.isnan(value):
        return None, f"metric '{name}' is NaN"
    return value, ""
