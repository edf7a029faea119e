"""What every tracking store on DynamoDB shares: the configuration, the concurrency policy around each
request, consistent single-item reads and consistent listings through the index."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from trackway_backend.adapters.dynamo import batch
from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
from trackway_backend.errors import Conflict, TrackwayError

_SECONDS_PER_DAY = 86_400
_Item = TypeVar("_Item", bound=TrackingItem)
_T = TypeVar("_T")


class DynamoStoreBase:
    """Every read a write must be visible to is a consistent read: listings go through the index for the
    keys, then read the items themselves consistently. Every request is retried under `policy` while
    DynamoDB throttles it, and every conditional save raises `Conflict` for the caller's policy to retry."""

    def __init__(
        self, run_index_shards: int = 16, deleted_retention_days: int = 30, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self._shards = run_index_shards
        self._retention_seconds = deleted_retention_days * _SECONDS_PER_DAY
        self.policy = policy
        self.requests = 0  # DynamoDB requests made; read by tests and benchmarks

    def _request(self, call: Callable[[], _T], conflict: type[TrackwayError] = Conflict, message: str = "") -> _T:
        """One DynamoDB request, translated to domain errors and retried while throttled."""

        def attempt() -> _T:
            with translated(conflict, message or "Concurrent update"):
                return call()

        result = self.policy.request(attempt)
        self.requests += 1
        return result

    def _get(self, model: type[_Item], pk: str, sk: str) -> _Item | None:
        """One item by key, read consistently, or None."""

        def get() -> _Item | None:
            try:
                return model.get(pk, sk, consistent_read=True)
            except DoesNotExist:
                return None

        return self._request(get)

    def _index_keys(self, model: type[TrackingItem], partitions: list[str]) -> list[tuple[str, str]]:
        """The table keys of the items in these index partitions, in index order. The index is eventually
        consistent and projects keys only, so only the keys come from it; callers read the items themselves
        consistently. A raw query: pynamodb would filter on the discriminator, which the index lacks."""
        connection = model._get_connection()
        index = model.by_collection.Meta.index_name  # type: ignore[attr-defined]
        key_names = [model._hash_key_attribute().attr_name, model._range_key_attribute().attr_name]  # type: ignore[no-untyped-call]

        def query(partition: str) -> list[tuple[str, str]]:
            keys: list[tuple[str, str]] = []
            start: dict[str, Any] | None = None
            while True:
                page = self._request(
                    lambda: connection.query(
                        partition, index_name=index, attributes_to_get=key_names, exclusive_start_key=start
                    )
                )
                keys += [(item[key_names[0]]["S"], item[key_names[1]]["S"]) for item in page.get("Items", [])]
                if not (start := page.get("LastEvaluatedKey")):
                    return keys

        if len(partitions) <= 1:
            return [key for partition in partitions for key in query(partition)]
        with ThreadPoolExecutor(max_workers=min(16, len(partitions))) as pool:
            return [key for keys in pool.map(query, partitions) for key in keys]

    def _read_consistently(self, model: type[_Item], keys: list[tuple[str, str]]) -> list[_Item]:
        """The items with these keys, in the keys' order, read consistently; items gone since are skipped."""
        found = {(item.pk, item.sk): item for item in batch.get_all(model, keys, self.policy)}
        self.requests += -(-len(keys) // batch.GET_BATCH_SIZE)
        return [found[key] for key in keys if key in found]


def at_revision(attribute: Any, revision: int) -> Any:
    """The save condition of an optimistic write; items stored before revisions existed count as 0."""
    condition = attribute == revision
    return condition | attribute.does_not_exist() if revision == 0 else condition


def transaction() -> TransactWrite:
    meta: Any = TrackingItem.Meta
    return TransactWrite(connection=_connection(meta.region, meta.host))


@lru_cache(maxsize=4)
def _connection(region: str, host: str | None) -> Connection:
    """One connection (and botocore client) per container for transactions; creating one costs ~50 ms."""
    return Connection(region=region, host=host)
