"""Evaluation of parsed clauses over entities, ordering with missing values last, and offset tokens."""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from trackway_backend.domain import Page
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.grammar import Clause, OrderKey

T = TypeVar("T")
MISSING = object()
Accessor = Callable[[T, str, str], Any]


@lru_cache(maxsize=256)
def _like(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = ("." if ch == "_" else ".*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.compile("^" + "".join(parts) + "$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


def matches(clause: Clause, value: Any) -> bool:
    comparator = clause.comparator
    if comparator == "IS NULL":
        return value is MISSING
    if comparator == "IS NOT NULL":
        return value is not MISSING
    if value is MISSING or value is None:
        return False
    if isinstance(value, list):
        return any(matches(clause, item) for item in value)
    target = clause.value
    if comparator == "LIKE":
        return bool(_like(target, True).match(str(value)))
    if comparator == "ILIKE":
        return bool(_like(target, False).match(str(value)))
    if comparator == "IN":
        return str(value) in target
    if comparator == "NOT IN":
        return str(value) not in target
    if isinstance(target, float):
        value = float(value)
        if math.isnan(value):
            return False
    return bool(
        {
            "=": lambda: value == target,
            "!=": lambda: value != target,
            ">": lambda: value > target,
            ">=": lambda: value >= target,
            "<": lambda: value < target,
            "<=": lambda: value <= target,
        }[comparator]()
    )


def _sortable(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return math.inf  # MLflow orders NaN above every number
    return value


@dataclass
class Query(Generic[T]):
    clauses: list[Clause]
    order: list[OrderKey]
    max_results: int
    offset: int
    access: Accessor[T]
    order_access: Accessor[T] | None = None

    def run(self, candidates: Iterable[T]) -> Page[T]:
        selected = [item for item in candidates if self.admits(item)]
        value_of = self.order_access or self.access
        for key in reversed(self.order):
            values = [value_of(item, key.entity, key.key) for item in selected]
            present = [
                (v, item) for v, item in zip(values, selected, strict=True) if v is not MISSING and v is not None
            ]
            missing = [item for v, item in zip(values, selected, strict=True) if v is MISSING or v is None]
            present.sort(key=lambda pair: _sortable(pair[0]), reverse=not key.ascending)
            selected = [item for _, item in present] + missing
        end = self.offset + self.max_results
        token = encode_offset(end) if end < len(selected) else None
        return Page(selected[self.offset : end], token)

    def admits(self, item: T) -> bool:
        return all(matches(clause, self.access(item, clause.entity, clause.key)) for clause in self.clauses)


def encode_offset(offset: int) -> str:
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = json.loads(base64.b64decode(token, validate=True))["offset"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError):
        pass
    raise InvalidParameter(f"Invalid page token, could not base64-decode: '{token}'")


def check_max_results(value: int, limit: int) -> int:
    if value <= 0 or value > limit:
        raise InvalidParameter(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be between 1 and {limit}."
        )
    return value
