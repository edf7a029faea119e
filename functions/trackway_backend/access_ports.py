"""The port of the grants store: who holds which level on which experiment or registered model."""

from __future__ import annotations

from abc import ABC, abstractmethod

from trackway_backend.access_domain import Grant, Resource


class GrantStore(ABC):
    """Every grant is one item, written conditionally, so concurrent grants and revokes of the same
    principal on the same resource serialize: each call either happens whole or fails with a domain error.
    Reads are consistent: a grant or revoke that returned is visible to the next request."""

    @abstractmethod
    def grants(self, resource: Resource) -> list[Grant]:
        """Every grant on `resource` (exact principals, patterns and groups); [] when there are none."""

    @abstractmethod
    def create(self, grant: Grant) -> None:
        """Raises `AlreadyExists` when the principal already holds a grant on the resource."""

    @abstractmethod
    def update(self, grant: Grant) -> None:
        """Raises `NotFound` when the principal holds no grant on the resource."""

    @abstractmethod
    def put(self, grant: Grant) -> None:
        """Create or overwrite the grant."""

    @abstractmethod
    def delete(self, resource: Resource, principal: str) -> None:
        """Raises `NotFound` when the principal holds no grant on the resource."""

    def get(self, resource: Resource, principal: str) -> Grant | None:
        """The grant made to exactly `principal` (no pattern matching), or None."""
        return next((grant for grant in self.grants(resource) if grant.principal == principal), None)

    def forget(self, resource: Resource) -> None:
        """Remove every grant on a resource that is gone."""
        for grant in self.grants(resource):
            self._discard(resource, grant.principal)

    def move(self, old: Resource, new: Resource) -> None:
        """Carry the grants of a renamed resource over to its new id."""
        for grant in self.grants(old):
            self.put(Grant(new, grant.principal, grant.level))
            self._discard(old, grant.principal)

    @abstractmethod
    def _discard(self, resource: Resource, principal: str) -> None:
        """Delete a grant if it exists (no error when it does not)."""
