"""EventBridge event pattern matching, for the local bus. The same patterns (events/rules.json) build the
rules of the CDK stack, and tests check this matcher against moto's on the real samples in events/samples.

Supported: exact values (strings, numbers, booleans, null), nested objects, arrays in events (any element
matches), `prefix`, `suffix`, `equals-ignore-case`, `anything-but`, `numeric`, `exists`, `wildcard` and `$or`.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

_ABSENT = object()
_NUMERIC: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    ">=": operator.ge,
    ">": operator.gt,
}


def matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """True when `event` (a full EventBridge event) matches `pattern`."""
    return _object_matches(pattern, event)


def _object_matches(pattern: dict[str, Any], node: Any) -> bool:
    for key, expected in pattern.items():
        if key == "$or":
            if not any(_object_matches(alternative, node) for alternative in expected):
                return False
            continue
        value = node.get(key, _ABSENT) if isinstance(node, dict) else _ABSENT
        if isinstance(expected, dict):
            if not _object_matches(expected, value if isinstance(value, dict) else {}):
                return False
        elif not _value_matches(expected, value):
            return False
    return True


def _value_matches(filters: list[Any], value: Any) -> bool:
    return any(_filter_matches(candidate, value) for candidate in filters)


def _filter_matches(candidate: Any, value: Any) -> bool:
    if isinstance(candidate, dict):
        (name, argument), *_ = candidate.items()
        if name == "exists":
            return (value is not _ABSENT) == bool(argument)
        if value is _ABSENT:
            return False
        values = value if isinstance(value, list) else [value]
        return any(_operator_matches(name, argument, item) for item in values)
    if value is _ABSENT:
        return False
    values = value if isinstance(value, list) else [value]
    return any(_equal(candidate, item) for item in values)


def _equal(expected: Any, actual: Any) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool) or expected is None or actual is None:
        return expected is actual or (expected == actual and type(expected) is type(actual))
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return float(expected) == float(actual)
    return bool(expected == actual)


def _operator_matches(name: str, argument: Any, value: Any) -> bool:
    if name == "prefix":
        return _string_test(argument, value, str.startswith)
    if name == "suffix":
        return _string_test(argument, value, str.endswith)
    if name == "equals-ignore-case":
        options = argument if isinstance(argument, list) else [argument]
        return isinstance(value, str) and any(value.lower() == option.lower() for option in options)
    if name == "wildcard":
        options = argument if isinstance(argument, list) else [argument]
        return isinstance(value, str) and any(_wildcard(option).fullmatch(value) for option in options)
    if name == "numeric":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        pairs = zip(argument[::2], argument[1::2], strict=True)
        return all(_NUMERIC[op](value, float(bound)) for op, bound in pairs)
    if name == "anything-but":
        if isinstance(argument, dict):
            (inner, inner_argument), *_ = argument.items()
            return not _operator_matches(inner, inner_argument, value)
        options = argument if isinstance(argument, list) else [argument]
        return not any(_equal(option, value) for option in options)
    raise ValueError(f"unsupported event pattern operator '{name}'")


def _string_test(argument: Any, value: Any, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if isinstance(argument, dict) and "equals-ignore-case" in argument:
        return test(value.lower(), str(argument["equals-ignore-case"]).lower())
    options = argument if isinstance(argument, list) else [argument]
    return any(test(value, option) for option in options)


def _wildcard(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\\\*|\*)", pattern)
    return re.compile("".join(".*" if part == "*" else re.escape("*" if part == "\\*" else part) for part in parts))
