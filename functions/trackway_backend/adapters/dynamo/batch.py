"""BatchWriteItem with exponential backoff on UnprocessedItems: nothing is dropped silently."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.models import Model

from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.errors import Unavailable

BATCH_SIZE = 25
MAX_ATTEMPTS = 8
PARALLEL_BATCHES = 8
Sleep = Callable[[float], None]


def put_all(model: type[Model], items: Sequence[Model], sleep: Sleep = time.sleep) -> int:
    """Write every item, up to `PARALLEL_BATCHES` BatchWriteItem calls at a time; returns the number of
    calls made.

    Raises `Unavailable` (503, retried by clients) if DynamoDB keeps items unprocessed; every write here
    is idempotent, so a retried request completes the job.
    """
    batches = [[item.serialize() for item in items[i : i + BATCH_SIZE]] for i in range(0, len(items), BATCH_SIZE)]
    if len(batches) <= 1:
        return sum(_write(model, batch, sleep) for batch in batches)
    with ThreadPoolExecutor(max_workers=min(PARALLEL_BATCHES, len(batches))) as pool:
        return sum(pool.map(lambda batch: _write(model, batch, sleep), batches))


def _write(model: type[Model], pending: list[dict[str, Any]], sleep: Sleep) -> int:
    """One batch of at most 25 items, retrying what DynamoDB leaves unprocessed; returns calls made."""
    connection = model._get_connection()
    table = model.Meta.table_name
    for attempt in range(MAX_ATTEMPTS):
        with translated():
            response = connection.batch_write_item(put_items=pending)
        unprocessed = (response or {}).get("UnprocessedItems", {}).get(table, [])
        if not unprocessed:
            return attempt + 1
        pending = [entry["PutRequest"]["Item"] for entry in unprocessed]
        sleep(min(2.0, 0.025 * 2**attempt) * (0.5 + random.random()))
    raise Unavailable(f"DynamoDB left {len(pending)} items unprocessed after {MAX_ATTEMPTS} attempts")
