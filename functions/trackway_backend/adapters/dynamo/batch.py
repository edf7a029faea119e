"""BatchWriteItem with exponential backoff on UnprocessedItems: nothing is dropped silently."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence

from pynamodb.models import Model

from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.errors import Unavailable

BATCH_SIZE = 25
MAX_ATTEMPTS = 8


def put_all(model: type[Model], items: Sequence[Model], sleep: Callable[[float], None] = time.sleep) -> int:
    """Write every item; returns the number of BatchWriteItem requests made.

    Raises `Unavailable` (503, retried by clients) if DynamoDB keeps items unprocessed; every write here
    is idempotent, so a retried request completes the job.
    """
    connection = model._get_connection()
    table = model.Meta.table_name
    requests = 0
    for start in range(0, len(items), BATCH_SIZE):
        pending = [item.serialize() for item in items[start : start + BATCH_SIZE]]
        for attempt in range(MAX_ATTEMPTS):
            with translated():
                response = connection.batch_write_item(put_items=pending)
            requests += 1
            unprocessed = (response or {}).get("UnprocessedItems", {}).get(table, [])
            if not unprocessed:
                break
            pending = [entry["PutRequest"]["Item"] for entry in unprocessed]
            sleep(min(2.0, 0.025 * 2**attempt) * (0.5 + random.random()))
        else:
            raise Unavailable(f"DynamoDB left {len(pending)} items unprocessed after {MAX_ATTEMPTS} attempts")
    return requests
