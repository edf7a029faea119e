"""BatchWriteItem and BatchGetItem that retry what DynamoDB leaves unprocessed under the concurrency
policy: nothing is dropped silently."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

from pynamodb.models import Model

from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
from trackway_backend.errors import Unavailable

BATCH_SIZE = 25
GET_BATCH_SIZE = 100
PARALLEL_BATCHES = 8
_M = TypeVar("_M", bound=Model)


def put_all(model: type[Model], items: Sequence[Model], policy: RetryPolicy = DEFAULT_POLICY) -> int:
    """Write every item, up to `PARALLEL_BATCHES` BatchWriteItem calls at a time; returns the number of
    calls made.

    Raises `Unavailable` (503, retried by clients) if DynamoDB keeps items unprocessed past the policy's
    budget; every write here is idempotent, so a retried request completes the job.
    """
    batches = [[item.serialize() for item in items[i : i + BATCH_SIZE]] for i in range(0, len(items), BATCH_SIZE)]
    return sum(_parallel(lambda batch: _write(model, batch, policy), batches))


def get_all(model: type[_M], keys: Sequence[tuple[str, str]], policy: RetryPolicy = DEFAULT_POLICY) -> list[_M]:
    """Consistent reads of the items with these (hash, range) keys, in no particular order; missing ones are
    skipped."""
    pages = [keys[i : i + GET_BATCH_SIZE] for i in range(0, len(keys), GET_BATCH_SIZE)]
    found: list[_M] = []
    for items in _parallel(lambda page: _read(model, page, policy), pages):
        found += items
    return found


def _parallel(work: Any, batches: list[Any]) -> list[Any]:
    if len(batches) <= 1:
        return [work(batch) for batch in batches]
    with ThreadPoolExecutor(max_workers=min(PARALLEL_BATCHES, len(batches))) as pool:
        return list(pool.map(work, batches))


def _write(model: type[Model], pending: list[dict[str, Any]], policy: RetryPolicy) -> int:
    """One batch of at most 25 items, retrying what DynamoDB leaves unprocessed; returns calls made."""
    connection = model._get_connection()
    table = model.Meta.table_name
    calls = 0
    waits = policy.delays()
    while True:
        response = policy.request(partial(_throttled_batch_write, connection, pending))
        calls += 1
        unprocessed = (response or {}).get("UnprocessedItems", {}).get(table, [])
        if not unprocessed:
            return calls
        pending = [entry["PutRequest"]["Item"] for entry in unprocessed]
        wait = next(waits, None)
        if wait is None:
            raise Unavailable(f"DynamoDB left {len(pending)} items unprocessed after {calls} attempts")
        policy.sleep(wait)


def _throttled_batch_write(connection: Any, pending: list[dict[str, Any]]) -> Any:
    with translated():
        return connection.batch_write_item(put_items=pending)


def _read(model: type[_M], page: Sequence[tuple[str, str]], policy: RetryPolicy) -> list[_M]:
    connection = model._get_connection()
    table = model.Meta.table_name
    hash_name = model._hash_key_attribute().attr_name  # type: ignore[no-untyped-call]
    range_name = model._range_key_attribute().attr_name  # type: ignore[no-untyped-call]
    pending: list[dict[str, str]] = [{hash_name: pk, range_name: sk} for pk, sk in page]
    found: list[_M] = []
    waits = policy.delays()
    while pending:
        response = policy.request(partial(_throttled_batch_get, connection, pending))
        found += [model.from_raw_data(item) for item in response.get("Responses", {}).get(table, [])]
        unprocessed = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
        pending = [{name: value["S"] for name, value in key.items()} for key in unprocessed]
        if pending:
            wait = next(waits, None)
            if wait is None:
                raise Unavailable(f"DynamoDB left {len(pending)} keys unprocessed")
            policy.sleep(wait)
    return found


def _throttled_batch_get(connection: Any, keys: list[dict[str, str]]) -> Any:
    with translated():
        return connection.batch_get_item(keys, consistent_read=True)
