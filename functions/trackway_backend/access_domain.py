"""Access control in MLflow's model: permission levels per experiment and per registered model, granted to
principals (IAM ARNs or ARN patterns, JWT subjects, `group:<name>` for JWT groups).

docs/adr/012-access-control.md gives the rules; logic/access.py applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from fnmatch import fnmatchcase

from trackway_backend.errors import InvalidParameter

GROUP_PREFIX = "group:"
_WILDCARDS = ("*", "?", "[")


class Level(IntEnum):
    """MLflow's levels, ordered: each one can do everything the ones below it can."""

    NO_PERMISSIONS = 0
    READ = 1
    EDIT = 3
    MANAGE = 4

    @classmethod
    def parse(cls, name: str | None) -> Level:
        try:
            return cls[(name or "").upper()]
        except KeyError:
            raise InvalidParameter(
                f"Invalid permission '{name}'. Valid permissions are: {tuple(level.name for level in cls)}"
            ) from None


class ResourceKind(StrEnum):
    EXPERIMENT = "experiment"
    REGISTERED_MODEL = "registered_model"

    @classmethod
    def parse(cls, name: str | None) -> ResourceKind:
        try:
            return cls(name or "")
        except ValueError:
            raise InvalidParameter(
                f"Invalid resource type '{name}'. Valid resource types are: {tuple(kind.value for kind in cls)}"
            ) from None


@dataclass(frozen=True)
class Resource:
    kind: ResourceKind
    id: str  # an experiment id, or a registered model's name

    def __str__(self) -> str:
        return f"{self.kind.value} '{self.id}'"


@dataclass(frozen=True)
class Grant:
    resource: Resource
    principal: str  # an exact principal, a pattern with * ? [..], or group:<name>
    level: Level

    @property
    def is_pattern(self) -> bool:
        return self.principal.startswith(GROUP_PREFIX) or any(char in self.principal for char in _WILDCARDS)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the name the authorizer vouched for, the JWT groups it carried, and whether the
    configuration names it an admin."""

    name: str
    groups: tuple[str, ...] = ()
    admin: bool = False
    _group_names: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_group_names", frozenset(GROUP_PREFIX + group for group in self.groups))

    def matches(self, grantee: str) -> bool:
        """Whether a grant to `grantee` (exact, pattern or group) covers this principal."""
        if grantee.startswith(GROUP_PREFIX):  # only a group claim: a subject named "group:x" is no member
            return grantee in self._group_names
        return grantee == self.name or (any(char in grantee for char in _WILDCARDS) and fnmatchcase(self.name, grantee))

    def is_named_by(self, grantee: str) -> bool:
        """Whether a grant names exactly this principal (and so overrides its groups and patterns)."""
        return grantee == self.name and not grantee.startswith(GROUP_PREFIX)


def is_admin(name: str, admins: tuple[str, ...]) -> bool:
    """Whether `name` is one of the configured admins (exact names or patterns)."""
    return any(name == admin or fnmatchcase(name, admin) for admin in admins)
