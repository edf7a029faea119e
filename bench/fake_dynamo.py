"""An in-memory DynamoDB that records every item written, for the scale simulation.

It stands in for pynamodb's low-level calls (`Connection._make_api_call`), so the real store code runs
unchanged and fast enough to drive 1,000 runs for a few simulated seconds. It implements only what the
tracking write path uses (DescribeTable, PutItem, BatchWriteItem, TransactWriteItems puts, UpdateItem
counters, GetItem, Query on the table key) and ignores conditions: one writer per run, nothing to conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pynamodb.connection.base import Connection
from pynamodb.models import Model

Item = dict[str, Any]


@dataclass(frozen=True)
class Write:
    table: str
    item: Item
    transactional: bool
    previous: Item | None = None  # the item this write replaced


class FakeDynamo:
    def __init__(self, models: dict[str, type[Model]], on_write: Callable[[Write], None]) -> None:
        self._models = models
        self._on_write = on_write
        self._tables: dict[str, dict[str, dict[str, Item]]] = {name: {} for name in models}  # table, pk, sk

    def call(self, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, f"_{operation}", None)
        if handler is None:
            raise NotImplementedError(f"the fake DynamoDB does not implement {operation}")
        return handler(kwargs)  # type: ignore[no-any-return]

    # Handlers are named after the DynamoDB operations they stand in for.
    def _DescribeTable(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        schema = self._models[kwargs["TableName"]]._get_schema()
        return {
            "Table": {
                "TableName": kwargs["TableName"],
                "KeySchema": schema["key_schema"],
                "AttributeDefinitions": schema["attribute_definitions"],
                "GlobalSecondaryIndexes": [
                    {"IndexName": index["index_name"], "KeySchema": index["key_schema"]}
                    for index in schema["global_secondary_indexes"]
                ],
            }
        }

    def _PutItem(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        self._put(kwargs["TableName"], kwargs["Item"], transactional=False)
        return {}

    def _BatchWriteItem(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for table, requests in kwargs["RequestItems"].items():
            for request in requests:
                self._put(table, request["PutRequest"]["Item"], transactional=False)
        return {"UnprocessedItems": {}}

    def _TransactWriteItems(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        for entry in kwargs["TransactItems"]:
            if "Put" in entry:
                self._put(entry["Put"]["TableName"], entry["Put"]["Item"], transactional=True)
        return {}

    def _UpdateItem(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Counters only: `ADD value :n` (plus SETs of constants), as the id counter does."""
        table, key = kwargs["TableName"], kwargs["Key"]
        item = self._partition(table, key).setdefault(key["sk"]["S"], dict(key))
        names, values = kwargs.get("ExpressionAttributeNames", {}), kwargs.get("ExpressionAttributeValues", {})
        for clause in kwargs["UpdateExpression"].replace(",", " ").split(" ADD ")[1:]:
            name, value = clause.split()[:2]
            current = int(item.get(names.get(name, name), {"N": "0"})["N"])
            item[names.get(name, name)] = {"N": str(current + int(values[value]["N"]))}
        self._on_write(Write(table, dict(item), transactional=False))
        return {"Attributes": dict(item)}

    def _GetItem(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        found = self._partition(kwargs["TableName"], kwargs["Key"]).get(kwargs["Key"]["sk"]["S"])
        return {"Item": found} if found else {}

    def _Query(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if "IndexName" in kwargs:
            raise NotImplementedError("the scale simulation never queries an index")
        if kwargs["KeyConditionExpression"] != "#0 = :0" or kwargs["ExpressionAttributeNames"]["#0"] != "pk":
            raise NotImplementedError(f"unsupported key condition {kwargs['KeyConditionExpression']}")
        partition = self._tables[kwargs["TableName"]].get(kwargs["ExpressionAttributeValues"][":0"]["S"], {})
        items = [partition[sort_key] for sort_key in sorted(partition)]
        return {"Items": items, "Count": len(items), "ScannedCount": len(items)}

    def _put(self, table: str, item: Item, transactional: bool) -> None:
        partition = self._partition(table, item)
        previous = partition.get(item["sk"]["S"])
        partition[item["sk"]["S"]] = item
        self._on_write(Write(table, item, transactional, previous))

    def _partition(self, table: str, key: Item) -> dict[str, Item]:
        return self._tables[table].setdefault(key["pk"]["S"], {})


@contextmanager
def installed(fake: FakeDynamo) -> Iterator[FakeDynamo]:
    """Route every pynamodb call to `fake` for the duration."""
    original = Connection._make_api_call

    def call(_connection: Connection, operation: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        return fake.call(operation, kwargs)

    Connection._make_api_call = call  # type: ignore[method-assign]
    try:
        yield fake
    finally:
        Connection._make_api_call = original  # type: ignore[method-assign]
