"""Evaluation of parsed clauses over entities, and the page that follows a cursor in a total order."""

from __future__ import annotations

import heapq
import math
import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from trackway_backend.domain import Page
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.cursor import Position, encode_cursor, sort_key
from trackway_backend.logic.search.grammar import Clause, OrderKey

T = TypeVar("T")
MISSING = object()
Accessor = Callable[[T, str, str], Any]


@lru_cache(maxsize=256)
def _like(pattern: str, case_sensitive: bool) -> re.Pattern[str]:
    parts = ("." if ch == "_" else ".*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.compile("^" + "".join(parts) + "$", 0 if case_sensitive else re.IGNORECASE | re.DOTALL)


_ORDERED = {
    "=": operator.eq,
    "!=": operator.ne,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
Test = Callable[[Any], bool]


def compiled(clause: Clause) -> Test:
    """The clause as a test of one value (MISSING when the entity has no such key; a list when it holds
    several, which passes if any passes), built once per search rather than once per row."""
    comparator, target = clause.comparator, clause.value
    if comparator == "IS NULL":
        return lambda value: value is MISSING
    if comparator == "IS NOT NULL":
        return lambda value: value is not MISSING
    test: Test
    if comparator in ("LIKE", "ILIKE"):
        pattern = _like(target, comparator == "LIKE")
        test = lambda value: pattern.match(str(value)) is not None  # noqa: E731
    elif comparator == "IN":
        test = lambda value: str(value) in target  # noqa: E731
    elif comparator == "NOT IN":
        test = lambda value: str(value) not in target  # noqa: E731
    elif isinstance(target, float):
        compare = _ORDERED[comparator]
        test = lambda value: not math.isnan(number := float(value)) and compare(number, target)  # noqa: E731
    else:
        compare = _ORDERED[comparator]
        test = lambda value: bool(compare(value, target))  # noqa: E731

    def present(value: Any) -> bool:
        if value is MISSING or value is None:
            return False
        if isinstance(value, list):
            return any(item is not MISSING and item is not None and test(item) for item in value)
        return test(value)

    return present


@dataclass
class Query(Generic[T]):
    """A parsed search: its clauses, a total order (the last keys break every tie), a page size and the
    cursor position to start after (None for the first page)."""

    clauses: list[Clause]
    order: list[OrderKey]
    max_results: int
    after: Position | None
    access: Accessor[T]
    order_access: Accessor[T] | None = None

    def run(self, candidates: Iterable[T]) -> Page[T]:
        """The page of `candidates` (in any order) that follows the cursor."""
        keyed = ((self._key(item), item) for item in candidates if self.admits(item))
        if self.after is not None:
            after = sort_key(self.order, self.after)
            keyed = (pair for pair in keyed if _follows(pair[0], after))
        top = heapq.nsmallest(self.max_results + 1, keyed, key=lambda pair: pair[0])
        return self._page([item for _, item in top])

    def run_chunks(self, chunks: Iterable[list[T]]) -> Page[T]:
        """The page that follows the cursor, from chunks that arrive in order of the first order key, each
        holding whole tie groups of it (in any order inside). Reading stops after the chunk that fills the
        page, so a page costs reads in proportion to its size."""
        after = None if self.after is None else sort_key(self.order, self.after)
        chosen: list[tuple[tuple[Any, ...], T]] = []
        for chunk in chunks:
            for item in chunk:
                if self.admits(item):
                    key = self._key(item)
                    if after is None or _follows(key, after):
                        chosen.append((key, item))
            if len(chosen) > self.max_results:
                break
        chosen.sort(key=lambda pair: pair[0])
        return self._page([item for _, item in chosen[: self.max_results + 1]])

    def __post_init__(self) -> None:
        self._tests = [(clause.entity, clause.key, compiled(clause)) for clause in self.clauses]

    def admits(self, item: T) -> bool:
        access = self.access
        return all(test(access(item, entity, key)) for entity, key, test in self._tests)

    def position(self, item: T) -> Position:
        value_of = self.order_access or self.access
        values = (value_of(item, key.entity, key.key) for key in self.order)
        return [None if value is MISSING else value for value in values]

    def _key(self, item: T) -> tuple[Any, ...]:
        return sort_key(self.order, self.position(item))

    def _page(self, rows: list[T]) -> Page[T]:
        """`rows` holds up to one row more than a page: its presence says another page follows."""
        if len(rows) <= self.max_results:
            return Page(rows)
        page = rows[: self.max_results]
        return Page(page, encode_cursor(self.order, self.position(page[-1])))


def _follows(key: tuple[Any, ...], after: tuple[Any, ...]) -> bool:
    try:
        return key > after
    except TypeError:  # a token whose values are not of the order's types: not one we issued
        raise InvalidParameter("Invalid page token: its position does not fit this search's order") from None


def check_max_results(value: int, limit: int) -> int:
    if value <= 0 or value > limit:
        raise InvalidParameter(
            f"Invalid value {value} for parameter 'max_results' supplied. It must be between 1 and {limit}."
        )
    return value
