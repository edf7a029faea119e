# ruff: noqa: E501 (one case per line)
"""Access decisions: levels, patterns, groups, explicit denials, admins and defaults; the local users file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.fake_grants import InMemoryGrantStore
from trackway_backend.access_domain import Grant, Level, Principal, Resource, ResourceKind, is_admin
from trackway_backend.errors import AlreadyExists, InvalidParameter, NotFound, PermissionDenied, Unavailable
from trackway_backend.local.users import LocalUsers
from trackway_backend.logic import access

EXPERIMENT = Resource(ResourceKind.EXPERIMENT, "7")
ROLE = "arn:aws:sts::123:assumed-role/ml-team-vision/job-1"


def exists(resource: Resource) -> None:
    if resource.id == "missing":
        raise NotFound("no such resource")


def checker(store: InMemoryGrantStore, who: Principal, default: Level = Level.NO_PERMISSIONS) -> access.Checker:
    return access.Checker(store, who, default)


@pytest.mark.parametrize(
    ("grants", "who", "expected"),
    [
        ([], Principal("alice"), Level.NO_PERMISSIONS),
        ([("alice", Level.EDIT)], Principal("alice"), Level.EDIT),
        ([("arn:aws:sts::123:assumed-role/ml-team-*", Level.READ)], Principal(ROLE), Level.READ),
        ([("arn:aws:sts::123:assumed-role/ml-team-*", Level.READ)], Principal(ROLE.replace("ml-team", "ops")), Level.NO_PERMISSIONS),
        ([("group:vision", Level.EDIT), ("*", Level.READ)], Principal("carol", ("vision",)), Level.EDIT),
        ([("group:vision", Level.EDIT), ("carol", Level.NO_PERMISSIONS)], Principal("carol", ("vision",)), Level.NO_PERMISSIONS),
        ([("group:vision", Level.EDIT)], Principal("group:vision"), Level.NO_PERMISSIONS),
        ([("alice", Level.NO_PERMISSIONS)], Principal("alice", admin=True), Level.MANAGE),
    ],
    ids=["default", "exact", "pattern", "pattern-miss", "best-of-group-and-pattern", "explicit-deny", "no-group-spoof", "admin"],
)  # fmt: skip
def test_effective_level(grants: list[tuple[str, Level]], who: Principal, expected: Level) -> None:
    stored = [Grant(EXPERIMENT, principal, level) for principal, level in grants]
    assert access.effective_level(stored, who, Level.NO_PERMISSIONS) == expected


def test_the_default_level_applies_without_a_grant_and_a_check_reads_each_resource_once() -> None:
    store = InMemoryGrantStore()
    check = checker(store, Principal("bob"), default=Level.READ)
    check.require(EXPERIMENT, Level.READ)
    assert check.readable(EXPERIMENT)
    with pytest.raises(PermissionDenied, match="needs EDIT on experiment '7'"):
        check.require(EXPERIMENT, Level.EDIT)
    assert store.reads == 1


def test_a_check_fails_closed_when_the_grants_cannot_be_read() -> None:
    store = InMemoryGrantStore()
    store.unavailable = True
    with pytest.raises(Unavailable):
        checker(store, Principal("bob")).require(EXPERIMENT, Level.READ)


def test_permission_use_cases_keep_mlflow_semantics() -> None:
    store = InMemoryGrantStore()
    assert access.create_grant(store, exists, EXPERIMENT, "bob", "read").level is Level.READ
    with pytest.raises(AlreadyExists):
        access.create_grant(store, exists, EXPERIMENT, "bob", "EDIT")
    with pytest.raises(NotFound):
        access.update_grant(store, exists, EXPERIMENT, "carol", "EDIT")
    with pytest.raises(InvalidParameter, match="Valid permissions"):
        access.set_grant(store, exists, EXPERIMENT, "bob", "OWNER")
    with pytest.raises(InvalidParameter, match="username"):
        access.set_grant(store, exists, EXPERIMENT, " ", "READ")
    with pytest.raises(NotFound):
        access.set_grant(store, exists, Resource(ResourceKind.EXPERIMENT, "missing"), "bob", "READ")
    access.revoke_grant(store, exists, EXPERIMENT, "bob")
    access.revoke_grant(store, exists, EXPERIMENT, "bob")  # idempotent
    assert store.items == {}


def test_moving_and_forgetting_grants() -> None:
    store = InMemoryGrantStore()
    old, new = Resource(ResourceKind.REGISTERED_MODEL, "a"), Resource(ResourceKind.REGISTERED_MODEL, "b")
    store.put(Grant(old, "bob", Level.EDIT))
    store.move(old, new)
    assert store.grants(old) == [] and store.grants(new) == [Grant(new, "bob", Level.EDIT)]
    store.forget(new)
    assert store.items == {}


def test_admins_match_exactly_or_by_pattern() -> None:
    admins = ("root", "arn:aws:sts::123:assumed-role/ml-admin/*")
    assert is_admin("root", admins) and is_admin("arn:aws:sts::123:assumed-role/ml-admin/x", admins)
    assert not is_admin("rooted", admins) and not is_admin("arn:aws:sts::123:assumed-role/ml-user/x", admins)


def test_local_users_file(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text(
        json.dumps(
            {"tokens": {"t1": {"principal": "alice", "admin": True}, "t2": {"principal": "bob", "groups": ["a", "b"]}}}
        )
    )
    users = LocalUsers.load(path)
    assert users.admins == ("alice",)
    assert users.environment() == {"TRACKWAY_AUTH_REQUIRED": "true", "TRACKWAY_ADMINS": "alice"}
    bob = users.authenticate("Bearer t2")
    assert bob is not None and bob.claims() == {"sub": "bob", "groups": "[a b]"}
    assert users.authenticate("Bearer t3") is None
    assert users.authenticate("Basic t2") is None
    assert users.authenticate(None) is None
    path.write_text(json.dumps({"tokens": {"t1": {"admin": True}}}))
    with pytest.raises(ValueError, match="principal"):
        LocalUsers.load(path)


def _event(path: str, principal: str | None) -> dict[str, object]:
    event = json.loads((Path(__file__).parents[2] / "events" / "apigw" / "get_run.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = ""
    event.pop("queryStringParameters", None)
    if principal is not None:
        event["requestContext"]["authorizer"] = {"iam": {"userArn": principal}}
    return dict(event)


@pytest.mark.parametrize(
    ("path", "principal", "status"),
    [
        ("/not/in/the/route/table", "alice", 500),  # served by the resolver but unknown to the rules: refused
        ("/no/route/at/all", "alice", 404),  # the resolver's own not-found passes through
        ("/health", None, 200),
        ("/api/3.0/mlflow/server-info", None, 401),
        ("/api/3.0/mlflow/server-info", "alice", 200),
    ],
)
def test_the_guard_fails_closed(path: str, principal: str | None, status: int) -> None:
    from trackway_backend.handlers.authorization import Guard, NoTracking
    from trackway_backend.handlers.http import build_resolver
    from trackway_backend.settings import TrackingSettings

    app = build_resolver()
    Guard(TrackingSettings(), InMemoryGrantStore(), NoTracking(), auth_required=True).install(app)
    for served in ("/not/in/the/route/table", "/health", "/api/3.0/mlflow/server-info"):
        app.get(served)(lambda: {})
    assert app.resolve(_event(path, principal), None)["statusCode"] == status  # type: ignore[arg-type]
