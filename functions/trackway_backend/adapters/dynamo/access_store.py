"""The grants store on DynamoDB: the access table (docs/adr/012-access-control.md).

| item  | pk                                                  | sk          |
|-------|-----------------------------------------------------|-------------|
| grant | `experiment#<experiment_id>` or `registered_model#<name>` | principal |

One partition per resource, so every check is one consistent Query, and each grant is one item written
under a condition: concurrent grants and revokes on one resource never lose or resurrect a grant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from trackway_backend.access_domain import Grant, Level, Resource
from trackway_backend.access_ports import GrantStore
from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
from trackway_backend.errors import AlreadyExists, Conflict, NotFound, TrackwayError
from trackway_backend.logic.clock import now_ms

_T = TypeVar("_T")


class GrantItem(Model):
    class Meta:
        table_name = "trackway-access"
        billing_mode = "PAY_PER_REQUEST"
        max_retry_attempts = 5

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    level = UnicodeAttribute()
    updated_at = NumberAttribute()


def _key(resource: Resource) -> str:
    return f"{resource.kind.value}#{resource.id}"


class DynamoGrantStore(GrantStore):
    def __init__(self, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self.policy = policy
        self.requests = 0

    def _request(self, call: Callable[[], _T], failed: type[TrackwayError] = Conflict, message: str = "") -> _T:
        def attempt() -> _T:
            with translated(failed, message or "Concurrent update"):
                return call()

        self.requests += 1
        return self.policy.request(attempt)

    def grants(self, resource: Resource) -> list[Grant]:
        items = self._request(lambda: list(GrantItem.query(_key(resource), consistent_read=True)))
        return [Grant(resource, item.sk, Level[item.level]) for item in items]

    def _item(self, grant: Grant) -> GrantItem:
        return GrantItem(_key(grant.resource), grant.principal, level=grant.level.name, updated_at=now_ms())

    def create(self, grant: Grant) -> None:
        item = self._item(grant)
        message = f"{grant.principal} already holds a permission on {grant.resource}"
        self._request(lambda: item.save(condition=GrantItem.pk.does_not_exist()), AlreadyExists, message)

    def update(self, grant: Grant) -> None:
        item = self._item(grant)
        message = f"{grant.principal} holds no permission on {grant.resource}"
        self._request(lambda: item.save(condition=GrantItem.pk.exists()), NotFound, message)

    def put(self, grant: Grant) -> None:
        item = self._item(grant)
        self._request(item.save)

    def delete(self, resource: Resource, principal: str) -> None:
        item = GrantItem(_key(resource), principal)
        message = f"{principal} holds no permission on {resource}"
        self._request(lambda: item.delete(condition=GrantItem.pk.exists()), NotFound, message)

    def _discard(self, resource: Resource, principal: str) -> None:
        item = GrantItem(_key(resource), principal)
        self._request(item.delete)
