"""Access decisions and the permission use cases (MLflow's permission model; docs/adr/012-access-control.md).

A principal's level on a resource is, in order: MANAGE for a configured admin; the level granted to exactly
that principal (so an explicit NO_PERMISSIONS shuts one principal out of a group's or pattern's grant); the
highest level granted to a matching pattern or group; the configured default.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from trackway_backend.access_domain import Grant, Level, Principal, Resource, ResourceKind, is_admin
from trackway_backend.access_ports import GrantStore
from trackway_backend.errors import InvalidParameter, NotFound, PermissionDenied
from trackway_backend.logic import validation
from trackway_backend.ports import ExperimentStore, RegistryStore

Exists = Callable[[Resource], None]
"""Raises `NotFound` when the resource does not exist."""


def existence(experiments: ExperimentStore | None = None, models: RegistryStore | None = None) -> Exists:
    """The existence check of the resources a function stores (or reads)."""

    def exists(resource: Resource) -> None:
        if resource.kind is ResourceKind.EXPERIMENT and experiments is not None:
            experiments.get_experiment(validation.experiment_id(resource.id))
        elif resource.kind is ResourceKind.REGISTERED_MODEL and models is not None:
            models.get_model(resource.id)
        else:
            raise InvalidParameter(f"Permissions on a {resource.kind.value} are not managed here")

    return exists


def effective_level(grants: Iterable[Grant], principal: Principal, default: Level) -> Level:
    if principal.admin:
        return Level.MANAGE
    matching = [grant for grant in grants if principal.matches(grant.principal)]
    exact = [grant.level for grant in matching if principal.is_named_by(grant.principal)]
    if exact:
        return exact[0]
    return max((grant.level for grant in matching), default=default)


@dataclass
class Checker:
    """One request's access decisions for one principal; each resource's grants are read once per request
    and never cached longer, so a revoke takes effect on the next request."""

    store: GrantStore
    principal: Principal
    default: Level
    _levels: dict[Resource, Level] = field(default_factory=dict)

    def level(self, resource: Resource) -> Level:
        if self.principal.admin:
            return Level.MANAGE
        if resource not in self._levels:
            self._levels[resource] = effective_level(self.store.grants(resource), self.principal, self.default)
        return self._levels[resource]

    def require(self, resource: Resource, needed: Level) -> None:
        if self.level(resource) < needed:
            raise PermissionDenied(f"Permission denied: {self.principal.name} needs {needed.name} on {resource}")

    def require_admin(self) -> None:
        if not self.principal.admin:
            raise PermissionDenied(f"Permission denied: {self.principal.name} is not an admin")

    def readable(self, resource: Resource) -> bool:
        return self.level(resource) >= Level.READ


def grantee(username: str | None) -> str:
    if not username or not username.strip():
        raise InvalidParameter("Missing value for required parameter 'username'.")
    return username.strip()


def _checked(exists: Exists, resource: Resource, username: str | None) -> str:
    principal = grantee(username)
    exists(resource)
    return principal


def _write(
    write: Callable[[Grant], None], exists: Exists, resource: Resource, username: str | None, level: str | None
) -> Grant:
    parsed = Level.parse(level)
    grant = Grant(resource, _checked(exists, resource, username), parsed)
    write(grant)
    return grant


def create_grant(
    store: GrantStore, exists: Exists, resource: Resource, username: str | None, level: str | None
) -> Grant:
    return _write(store.create, exists, resource, username, level)


def update_grant(
    store: GrantStore, exists: Exists, resource: Resource, username: str | None, level: str | None
) -> None:
    _write(store.update, exists, resource, username, level)


def set_grant(store: GrantStore, exists: Exists, resource: Resource, username: str | None, level: str | None) -> None:
    """Grant or change a level in one idempotent write (MLflow 3's `users/permissions/grant`)."""
    _write(store.put, exists, resource, username, level)


def get_grant(store: GrantStore, exists: Exists, resource: Resource, username: str | None) -> Grant:
    principal = _checked(exists, resource, username)
    found = store.get(resource, principal)
    if found is None:
        raise NotFound(f"{principal} holds no permission on {resource}")
    return found


def delete_grant(store: GrantStore, exists: Exists, resource: Resource, username: str | None) -> None:
    store.delete(resource, _checked(exists, resource, username))


def revoke_grant(store: GrantStore, exists: Exists, resource: Resource, username: str | None) -> None:
    """Remove a grant; revoking one that is gone already is done, so a retried revoke succeeds."""
    principal = _checked(exists, resource, username)
    with contextlib.suppress(NotFound):
        store.delete(resource, principal)


def grant_creator(store: GrantStore, resource: Resource, principal: Principal | None) -> None:
    """The creator of an experiment or registered model manages it, as in MLflow."""
    if principal is not None:
        store.put(Grant(resource, principal.name, Level.MANAGE))


def level_of(
    store: GrantStore, exists: Exists, resource: Resource, username: str | None, admins: tuple[str, ...], default: Level
) -> Level:
    """The level `username` has on `resource`, as a request of theirs would see it (without JWT groups)."""
    name = _checked(exists, resource, username)
    return effective_level(store.grants(resource), Principal(name, admin=is_admin(name, admins)), default)
