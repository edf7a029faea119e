"""Items of several index partitions merged in index sort-key order, read lazily: the first pages of every
partition in parallel, later pages only when the merge reaches them. A consumer that stops early has read
about what it consumed, plus one small page per partition."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pynamodb.models import Model

from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.concurrency import RetryPolicy

IndexKey = tuple[str, str, str]  # (index sort key, table pk, table sk)
_PARALLEL_QUERIES = 16


@dataclass(frozen=True)
class IndexRange:
    """Where in each partition to start, in which direction, and how many keys one query asks for."""

    index_name: str
    descending: bool
    bound: Any = None  # a pynamodb range-key condition, or None for the whole partition
    page_size: int = 25


def merged_keys(
    model: type[Model], partitions: list[str], where: IndexRange, policy: RetryPolicy, counter: list[int]
) -> Iterator[IndexKey]:
    """Table keys of the items in `partitions`, merged by index sort key (ties in any order). `counter[0]`
    counts the queries made."""
    connection = model._get_connection()

    def page(partition: str, start: dict[str, Any] | None) -> tuple[list[IndexKey], dict[str, Any] | None]:
        def query() -> dict[str, Any]:
            with translated():
                return connection.query(  # type: ignore[no-any-return]
                    partition,
                    range_key_condition=where.bound,
                    attributes_to_get=["pk", "sk", "gsi1sk"],
                    exclusive_start_key=start,
                    index_name=where.index_name,
                    limit=where.page_size,
                    scan_index_forward=not where.descending,
                )

        response = policy.request(query)
        counter[0] += 1
        keys = [(item["gsi1sk"]["S"], item["pk"]["S"], item["sk"]["S"]) for item in response.get("Items", [])]
        return keys, response.get("LastEvaluatedKey")

    def stream(partition: str, first: tuple[list[IndexKey], dict[str, Any] | None]) -> Iterator[IndexKey]:
        keys, more = first
        yield from keys
        while more:
            keys, more = page(partition, more)
            yield from keys

    with ThreadPoolExecutor(max_workers=max(1, min(_PARALLEL_QUERIES, len(partitions)))) as pool:
        firsts = list(pool.map(lambda partition: page(partition, None), partitions))
    streams = [stream(partition, first) for partition, first in zip(partitions, firsts, strict=True)]
    return heapq.merge(*streams, reverse=where.descending)
