"""A DynamoDB that is as stale as DynamoDB may be: every read without `ConsistentRead=True` is served the
previous version of each item it returns.

It wraps botocore's calls to DynamoDB (moto or any engine underneath). Every successful write remembers,
per item, the version it replaced (None for an item it created). A GetItem, Query (table or index), Scan or
BatchGetItem that does not ask for a consistent read gets those previous versions instead of the current
ones, and does not see items created since. Index queries cannot be consistent in DynamoDB, so whatever
they return is served stale too. Consistent reads see the truth. `stale_served` counts the items served
out of date, so a test can show the double was exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

Item = dict[str, Any]
Key = tuple[str, str, str]
_KEY_NAMES = ("pk", "sk")


class StaleReads:
    def __init__(self) -> None:
        self.previous: dict[Key, Item | None] = {}
        self.stale_served = 0

    # writes: remember what each write replaced
    def before_write(self, call: Any, operation: str, params: dict[str, Any]) -> dict[Key, Item | None]:
        return {key: self._current(call, key) for key in _written_keys(operation, params)}

    def after_write(self, replaced: dict[Key, Item | None]) -> None:
        self.previous.update(replaced)

    def _current(self, call: Any, key: Key) -> Item | None:
        table, pk, sk = key
        response = call("GetItem", {"TableName": table, "Key": _key_map(pk, sk), "ConsistentRead": True})
        return response.get("Item")  # type: ignore[no-any-return]

    # reads: serve the previous versions
    def stale_items(self, table: str, items: list[Item]) -> list[Item]:
        served: list[Item] = []
        for item in items:
            key = _key_of(table, item)
            if key is None or key not in self.previous:
                served.append(item)
                continue
            self.stale_served += 1
            old = self.previous[key]
            if old is not None:
                served.append(old)
        return served

    def read(self, call: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        response: dict[str, Any] = call(operation, params)
        if operation == "GetItem" and not params.get("ConsistentRead"):
            key = _key_of(params["TableName"], params["Key"])
            if key in self.previous:
                self.stale_served += 1
                old = self.previous[key]  # type: ignore[index]
                return {k: v for k, v in response.items() if k != "Item"} | ({"Item": old} if old else {})
        elif operation in ("Query", "Scan") and not params.get("ConsistentRead"):
            response["Items"] = self.stale_items(params["TableName"], response.get("Items", []))
            response["Count"] = len(response["Items"])
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                if not request.get("ConsistentRead"):
                    items = response.get("Responses", {}).get(table, [])
                    response["Responses"][table] = self.stale_items(table, items)
        return response


_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
_READS = {"GetItem", "Query", "Scan", "BatchGetItem"}


@contextmanager
def stale_reads() -> Iterator[StaleReads]:
    """Patch every botocore DynamoDB client for the duration."""
    double = StaleReads()
    original = BaseClient._make_api_call

    def make_call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != "dynamodb":
            return original(client, operation, params)

        def call(name: str, arguments: dict[str, Any]) -> Any:
            return original(client, name, arguments)

        if operation in _WRITES:
            replaced = double.before_write(call, operation, params)
            response = call(operation, params)
            double.after_write(replaced)
            return response
        if operation in _READS:
            return double.read(call, operation, params)
        return call(operation, params)

    BaseClient._make_api_call = make_call  # type: ignore[method-assign]
    try:
        yield double
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]


def _written_keys(operation: str, params: dict[str, Any]) -> Iterator[Key]:
    if operation == "PutItem":
        yield from _keys(params["TableName"], [params["Item"]])
    elif operation in ("UpdateItem", "DeleteItem"):
        yield from _keys(params["TableName"], [params["Key"]])
    elif operation == "BatchWriteItem":
        for table, requests in params["RequestItems"].items():
            for request in requests:
                if "PutRequest" in request:
                    yield from _keys(table, [request["PutRequest"]["Item"]])
                else:
                    yield from _keys(table, [request["DeleteRequest"]["Key"]])
    elif operation == "TransactWriteItems":
        for entry in params["TransactItems"]:
            for kind, body in entry.items():
                if kind == "Put":
                    yield from _keys(body["TableName"], [body["Item"]])
                elif kind in ("Update", "Delete"):
                    yield from _keys(body["TableName"], [body["Key"]])


def _keys(table: str, items: list[Item]) -> Iterator[Key]:
    for item in items:
        key = _key_of(table, item)
        if key is not None:
            yield key


def _key_of(table: str, item: Item) -> Key | None:
    if not all(name in item for name in _KEY_NAMES):
        return None
    return table, item["pk"]["S"], item["sk"]["S"]


def _key_map(pk: str, sk: str) -> Item:
    return {"pk": {"S": pk}, "sk": {"S": sk}}
