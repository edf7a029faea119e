"""An in-memory GrantStore with the DynamoDB one's conditional semantics, for unit tests.

`unavailable` makes every call fail as DynamoDB under sustained throttling does (503 after the policy gives
up), so a test can show a check fails closed rather than open.
"""

from __future__ import annotations

import threading

from trackway_backend.access_domain import Grant, Resource
from trackway_backend.access_ports import GrantStore
from trackway_backend.errors import AlreadyExists, NotFound, Unavailable


class InMemoryGrantStore(GrantStore):
    def __init__(self) -> None:
        self.items: dict[tuple[Resource, str], Grant] = {}
        self.reads = 0
        self.unavailable = False
        self._lock = threading.Lock()

    def _check(self) -> None:
        if self.unavailable:
            raise Unavailable("storage is throttling")

    def grants(self, resource: Resource) -> list[Grant]:
        self._check()
        with self._lock:
            self.reads += 1
            return [grant for (owner, _), grant in self.items.items() if owner == resource]

    def create(self, grant: Grant) -> None:
        self._check()
        with self._lock:
            if (grant.resource, grant.principal) in self.items:
                raise AlreadyExists(f"{grant.principal} already holds a permission on {grant.resource}")
            self.items[(grant.resource, grant.principal)] = grant

    def update(self, grant: Grant) -> None:
        self._check()
        with self._lock:
            if (grant.resource, grant.principal) not in self.items:
                raise NotFound(f"{grant.principal} holds no permission on {grant.resource}")
            self.items[(grant.resource, grant.principal)] = grant

    def put(self, grant: Grant) -> None:
        self._check()
        with self._lock:
            self.items[(grant.resource, grant.principal)] = grant

    def delete(self, resource: Resource, principal: str) -> None:
        self._check()
        with self._lock:
            if self.items.pop((resource, principal), None) is None:
                raise NotFound(f"{principal} holds no permission on {resource}")

    def _discard(self, resource: Resource, principal: str) -> None:
        self._check()
        with self._lock:
            self.items.pop((resource, principal), None)
