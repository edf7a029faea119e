"""Counts DynamoDB requests and capacity units of each operation, on DynamoDB Local.

DynamoDB Local reports no consumed capacity, so units are computed from the items on the wire with
DynamoDB's published rules: an item's size is the sum of its attribute names and values; a write costs
ceil(size / 1 KB) per item, doubled inside a transaction; an index is written only when the write changes
what the index projects (a new entry costs ceil(projected size / 1 KB), and moving an entry to other index
keys costs the old entry's delete as well), with the projections read from the table itself; an eventually
consistent read costs 0.5 per 4 KB read, a consistent one 1 (BatchGetItem: per item).
Run: `.venv/bin/python -m bench.capacity` (starts its own DynamoDB Local).
"""

from __future__ import annotations

import json
import math
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from botocore.client import BaseClient

from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric, ViewType
from trackway_backend.local.server import local_engines
from trackway_backend.logic import experiments, runs

_CAPACITY_OPERATIONS = (
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "GetItem",
    "Query",
    "Scan",
    "BatchWriteItem",
    "BatchGetItem",
    "TransactWriteItems",
    "TransactGetItems",
)


_SEARCHED_RUNS = 200


class Meter:
    """Sums requests, write units and read units that DynamoDB reports, across every botocore client."""

    def __init__(self) -> None:
        self.requests: Counter[str] = Counter()
        self.write_units = 0.0
        self.read_units = 0.0
        self.items_written = 0
        self.bytes_written = 0  # sum of written item sizes: what the items add to storage

    def reset(self) -> None:
        self.requests.clear()
        self.write_units = self.read_units = 0.0
        self.items_written = self.bytes_written = 0

    def record(
        self, operation: str, params: dict[str, Any], response: dict[str, Any], index_units: float = 0.0
    ) -> None:
        self.requests[operation] += 1
        self.write_units += index_units
        for item, transactional in _written_items(operation, params):
            self.items_written += 1
            self.bytes_written += item_size(item)
            self.write_units += math.ceil(item_size(item) / 1024) * (2 if transactional else 1)
        read = response.get("Items") or ([response["Item"]] if "Item" in response else [])
        if read:
            self.read_units += math.ceil(sum(item_size(i) for i in read) / 4096) * _read_price(params)
        for table, items in (response.get("Responses") or {}).items():  # BatchGetItem: priced per item
            price = 1.0 if params["RequestItems"][table].get("ConsistentRead") else 0.5
            self.read_units += sum(math.ceil(item_size(i) / 4096) for i in items) * price


def _read_price(params: dict[str, Any]) -> float:
    """A strongly consistent read costs twice an eventually consistent one."""
    return 1.0 if params.get("ConsistentRead") else 0.5


Call = Callable[[str, dict[str, Any]], Any]


class Indexes:
    """The global secondary indexes of each table (DescribeTable, once), and what a write costs in them given
    the item it replaces. A put that takes an item out of an index is not charged: no trackway item does."""

    def __init__(self) -> None:
        self._tables: dict[str, tuple[list[str], list[tuple[list[str], list[str] | None]]]] = {}

    def write_units(self, call: Call, operation: str, params: dict[str, Any]) -> float:
        """Index write units of a write, from the items it replaces (read before the write is sent)."""
        units = 0.0
        for table, item, transactional in _written_items_by_table(operation, params):
            table_keys, indexes = self._describe(call, table)
            indexed = [(keys, projected) for keys, projected in indexes if all(k in item for k in keys)]
            if not indexed:
                continue
            key = {name: item[name] for name in table_keys}
            old = call("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}).get("Item")
            for index_keys, projected in indexed:
                new_entry, old_entry = _entry(item, index_keys, projected), _entry(old, index_keys, projected)
                if new_entry == old_entry:
                    continue  # the write changes nothing the index holds: no index write
                writes = [new_entry]
                if old_entry is not None and any(old_entry[k] != item[k] for k in index_keys):
                    writes.append(old_entry)  # the entry moves: the old one is deleted too
                units += sum(math.ceil(item_size(e) / 1024) for e in writes if e) * (2 if transactional else 1)
        return units

    def _describe(self, call: Call, table: str) -> tuple[list[str], list[tuple[list[str], list[str] | None]]]:
        if table not in self._tables:
            described = call("DescribeTable", {"TableName": table})["Table"]
            self._tables[table] = (
                [k["AttributeName"] for k in described["KeySchema"]],
                [
                    ([k["AttributeName"] for k in index["KeySchema"]], _projected(index, described))
                    for index in described.get("GlobalSecondaryIndexes", [])
                ],
            )
        return self._tables[table]


def _projected(index: dict[str, Any], table: dict[str, Any]) -> list[str] | None:
    """The attributes an index entry holds, or None for all of them."""
    projection = index["Projection"]
    if projection["ProjectionType"] == "ALL":
        return None
    table_keys = [k["AttributeName"] for k in table["KeySchema"]]
    index_keys = [k["AttributeName"] for k in index["KeySchema"]]
    return table_keys + index_keys + list(projection.get("NonKeyAttributes", []))


def _entry(item: dict[str, Any] | None, index_keys: list[str], projected: list[str] | None) -> dict[str, Any] | None:
    """The index entry of an item, or None if the item is not in the index (a sparse index)."""
    if item is None or any(name not in item for name in index_keys):
        return None
    return dict(item) if projected is None else {name: item[name] for name in projected if name in item}


def _written_items_by_table(operation: str, params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    if operation == "PutItem":
        yield params["TableName"], params["Item"], False
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    yield table, request["PutRequest"]["Item"], False
    elif operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            if "Put" in entry:
                yield entry["Put"]["TableName"], entry["Put"]["Item"], True


def _written_items(operation: str, params: dict[str, Any]) -> Iterator[tuple[dict[str, Any], bool]]:
    for _, item, transactional in _written_items_by_table(operation, params):
        yield item, transactional
    if operation == "UpdateItem":
        yield params["Key"], False  # counters: tiny items; the key bounds the size


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    kind, data = next(iter(value.items()))
    if kind == "S":
        return len(data.encode())
    if kind == "B":
        return len(data)
    if kind == "N":
        return len(data.strip("-").lstrip("0").replace(".", "")) // 2 + 2
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in data.items())
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in data)
    return sum(len(str(v)) for v in data)


@contextmanager
def metered() -> Iterator[Meter]:
    meter = Meter()
    indexes = Indexes()
    original = BaseClient._make_api_call

    def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != "dynamodb":
            return original(client, operation, params)
        if operation in _CAPACITY_OPERATIONS:
            params = {**params, "ReturnConsumedCapacity": "INDEXES"}
        index_units = indexes.write_units(lambda op, p: original(client, op, p), operation, params)
        response = original(client, operation, params)
        meter.record(operation, params, response, index_units)
        return response

    BaseClient._make_api_call = call  # type: ignore[method-assign]
    try:
        yield meter
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def measure(meter: Meter, action: Callable[[], object]) -> dict[str, Any]:
    meter.reset()
    action()
    return {
        "requests": sum(meter.requests.values()),
        "by_operation": dict(meter.requests),
        "write_units": round(meter.write_units, 1),
        "read_units": round(meter.read_units, 1),
        "items_written": meter.items_written,
        "bytes_written": meter.bytes_written,
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data, local_engines(Path(data)):
        store = DynamoTrackingStore()
        with metered() as meter:
            experiment_id = experiments.create(store, "capacity", "mlflow-artifacts:/", None, {})
            run_id = runs.create(store, experiment_id, "bench", "r", None, {}).run_id
            ten_keys = [Metric(f"k{k}", 0.5, 1_700_000_000_000 + s, s) for k in range(10) for s in range(100)]
            one_key = [Metric("loss", 0.5, 1_700_000_000_000 + s, 1000 + s) for s in range(1000)]
            wide = [Metric(f"w{k}", 0.5, 1_700_000_000_000, 0) for k in range(500)]
            results = {
                "log_batch_1000_points_10_keys": measure(
                    meter, lambda: runs.log_batch(store, run_id, ten_keys, {}, {})
                ),
                "log_batch_1000_points_1_key": measure(meter, lambda: runs.log_batch(store, run_id, one_key, {}, {})),
                "log_batch_500_distinct_keys": measure(meter, lambda: runs.log_batch(store, run_id, wide, {}, {})),
                "log_metric_1_point": measure(
                    meter, lambda: runs.log_batch(store, run_id, [Metric("single", 1.0, 1, 1)], {}, {})
                ),
                "log_batch_replayed_10_keys": measure(meter, lambda: runs.log_batch(store, run_id, ten_keys, {}, {})),
                "get_run": measure(meter, lambda: runs.get(store, run_id)),
            }
            for index in range(_SEARCHED_RUNS - 1):
                other = runs.create(store, experiment_id, "bench", f"r{index}", None, {}).run_id
                runs.log_batch(store, other, [Metric("acc", index / 100, 1, 0)], {"depth": "3"}, {})
            results[f"search_runs_{_SEARCHED_RUNS}_runs"] = measure(
                meter,
                lambda: runs.search(
                    store, [experiment_id], "metrics.acc > 0.1", ViewType.ACTIVE_ONLY, 100, ["metrics.acc DESC"], None
                ),
            )
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
