# ruff: noqa: E501 (the matrix reads best one operation per line)
"""Access control through the real handlers on moto: a matrix of principals x routes x levels, search
filtering, artifacts, the permission API, the authenticated user_id, and concurrent grants and revokes.

Each principal calls with API Gateway's IAM authorizer context (or the JWT one, for groups), and the
tracking, registry and artifacts functions are chosen by the route table, as API Gateway would.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from tests.support.event_capture import APIGW_DIR, ENVIRONMENT, Context
from trackway_backend.routes import match

ACCOUNT = "123456789012"
ADMIN = f"arn:aws:iam::{ACCOUNT}:user/admin"
OWNER = f"arn:aws:iam::{ACCOUNT}:user/owner"
READER = f"arn:aws:iam::{ACCOUNT}:user/reader"
EDITOR = f"arn:aws:iam::{ACCOUNT}:user/editor"
MANAGER = f"arn:aws:iam::{ACCOUNT}:user/manager"
STRANGER = f"arn:aws:iam::{ACCOUNT}:user/stranger"
TEAM_ROLE = f"arn:aws:sts::{ACCOUNT}:assumed-role/ml-team-vision/training-job-7"
TEAM_PATTERN = f"arn:aws:sts::{ACCOUNT}:assumed-role/ml-team-*"
MLFLOW = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts"


@dataclass(frozen=True)
class Caller:
    name: str | None
    groups: tuple[str, ...] = ()  # JWT groups; an IAM caller has none


def event(caller: Caller, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> dict:
    sample = "get_run.json" if method == "GET" else "log_batch.json"
    built: dict[str, Any] = json.loads((APIGW_DIR / sample).read_text())
    built["rawPath"] = built["requestContext"]["http"]["path"] = path
    built["rawQueryString"] = urlencode(params or {}, doseq=True)
    built["requestContext"]["http"]["method"] = method
    built["routeKey"] = built["requestContext"]["routeKey"] = f"{method} {path}"
    built.pop("queryStringParameters", None)
    if isinstance(body, bytes):
        built["body"], built["isBase64Encoded"] = base64.b64encode(body).decode(), True
        built["headers"]["content-length"] = str(len(body))
        built["headers"]["content-type"] = "application/octet-stream"
    else:
        built["body"] = json.dumps(body) if body is not None else ""
    if caller.groups:
        claims = {"sub": caller.name, "cognito:groups": "[" + " ".join(caller.groups) + "]"}
        built["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    elif caller.name is not None:
        built["requestContext"]["authorizer"] = {"iam": {"userArn": caller.name, "accountId": ACCOUNT}}
    return built


class Api:
    def __init__(self) -> None:
        from trackway_backend.handlers import artifacts, registry, serving, tracking

        self._handlers = {"tracking": tracking, "registry": registry, "artifacts": artifacts, "serving": serving}

    def __call__(
        self, who: str | Caller | None, method: str, path: str, body: Any = None, /, **params: Any
    ) -> tuple[int, Any]:
        caller = who if isinstance(who, Caller) else Caller(who)
        found = match(method, path)
        assert found is not None, f"{method} {path} is not in the route table"
        module = self._handlers[found[0].function.value]
        response = module.handler(event(caller, method, path, body, params), Context())
        text = response.get("body") or ""
        try:
            return response["statusCode"], json.loads(text)
        except ValueError:
            return response["statusCode"], text

    def ok(self, who: str | Caller | None, method: str, path: str, body: Any = None, /, **params: Any) -> Any:
        status, reply = self(who, method, path, body, **params)
        assert status == 200, (method, path, status, reply)
        return reply

    def reset(self) -> None:
        for module in self._handlers.values():
            module.function.reset()


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("TRACKWAY_ADMINS", ADMIN)
    monkeypatch.setenv("TRACKWAY_AUTH_REQUIRED", "true")
    monkeypatch.setenv("TRACKWAY_ARTIFACT_BUCKET", "artifacts-access-test")
    with mock_aws():
        from trackway_backend.adapters.dynamo.access_store import GrantItem
        from trackway_backend.adapters.dynamo.outbox import OutboxItem
        from trackway_backend.adapters.dynamo.registry_items import RegistryItem
        from trackway_backend.adapters.dynamo.tables import create_missing
        from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
        from trackway_backend.adapters.s3.buckets import create_missing_bucket
        from trackway_backend.adapters.s3.client import s3_client
        from trackway_backend.handlers import registry
        from trackway_backend.settings import ArtifactSettings

        s3_client.cache_clear()
        client = Api()
        client.reset()
        registry.configure()
        create_missing(TrackingItem, OutboxItem, RegistryItem, GrantItem)
        create_missing_bucket(ArtifactSettings.from_env())
        try:
            yield client
        finally:
            client.reset()
            s3_client.cache_clear()


@dataclass
class World:
    """What OWNER created for one principal under test: an experiment with a run, a logged model and an
    artifact, and a registered model with a version."""

    experiment_id: str
    experiment_name: str
    run_id: str
    artifact_dir: str
    logged_model_id: str
    model: str


def build_world(api: Api, tag: str) -> World:
    name = f"exp-{tag}"
    experiment_id = api.ok(OWNER, "POST", f"{MLFLOW}/experiments/create", {"name": name})["experiment_id"]
    run = api.ok(OWNER, "POST", f"{MLFLOW}/runs/create", {"experiment_id": experiment_id})["run"]["info"]
    run_id, root = run["run_id"], run["artifact_uri"].removeprefix("mlflow-artifacts:/")
    api.ok(OWNER, "POST", f"{MLFLOW}/runs/log-metric", {"run_id": run_id, "key": "loss", "value": 1.0, "timestamp": 1})
    api.ok(OWNER, "PUT", f"{ARTIFACTS}/artifacts/{root}/model.txt", b"weights")
    logged = api.ok(OWNER, "POST", f"{MLFLOW}/logged-models", {"experiment_id": experiment_id, "source_run_id": run_id})
    model = f"model-{tag}"
    api.ok(OWNER, "POST", f"{MLFLOW}/registered-models/create", {"name": model})
    source = f"{run['artifact_uri']}/model.txt"
    api.ok(OWNER, "POST", f"{MLFLOW}/model-versions/create", {"name": model, "source": source, "run_id": run_id})
    return World(experiment_id, name, run_id, root, logged["model"]["info"]["model_id"], model)


def grant(api: Api, world: World, principal: str, level: str) -> None:
    api.ok(
        OWNER,
        "POST",
        f"{MLFLOW}/experiments/permissions/create",
        {"experiment_id": world.experiment_id, "username": principal, "permission": level},
    )
    api.ok(
        OWNER,
        "POST",
        f"{MLFLOW}/registered-models/permissions/create",
        {"name": world.model, "username": principal, "permission": level},
    )


# (operation, required level, call). Destructive operations come last, in this order.
def operations(w: World) -> list[tuple[str, str, tuple[Any, ...]]]:
    run, exp, lm, model = w.run_id, w.experiment_id, w.logged_model_id, w.model
    return [
        ("experiments/get", "READ", ("GET", f"{MLFLOW}/experiments/get", None, {"experiment_id": exp})),
        ("experiments/get-by-name", "READ", ("GET", f"{MLFLOW}/experiments/get-by-name", None, {"experiment_name": w.experiment_name})),
        ("runs/get", "READ", ("GET", f"{MLFLOW}/runs/get", None, {"run_id": run})),
        ("metrics/get-history", "READ", ("GET", f"{MLFLOW}/metrics/get-history", None, {"run_id": run, "metric_key": "loss"})),
        ("get-history-bulk-interval", "READ", ("GET", f"{MLFLOW}/metrics/get-history-bulk-interval", None, {"run_ids": [run], "metric_key": "loss"})),
        ("runs/search", "READ", ("POST", f"{MLFLOW}/runs/search", {"experiment_ids": [exp]}, {})),
        ("logged-models/get", "READ", ("GET", f"{MLFLOW}/logged-models/{lm}", None, {})),
        ("logged-models/search", "READ", ("POST", f"{MLFLOW}/logged-models/search", {"experiment_ids": [exp]}, {})),
        ("artifacts/list", "READ", ("GET", f"{ARTIFACTS}/artifacts", None, {"path": w.artifact_dir})),
        ("artifacts/presigned", "READ", ("GET", f"{ARTIFACTS}/presigned/{w.artifact_dir}/model.txt", None, {})),
        ("registered-models/get", "READ", ("GET", f"{MLFLOW}/registered-models/get", None, {"name": model})),
        ("model-versions/get", "READ", ("GET", f"{MLFLOW}/model-versions/get", None, {"name": model, "version": "1"})),
        ("get-download-uri", "READ", ("GET", f"{MLFLOW}/model-versions/get-download-uri", None, {"name": model, "version": "1"})),
        ("runs/log-batch", "EDIT", ("POST", f"{MLFLOW}/runs/log-batch", {"run_id": run, "metrics": [{"key": "acc", "value": 0.5, "timestamp": 2, "step": 0}]}, {})),
        ("runs/set-tag", "EDIT", ("POST", f"{MLFLOW}/runs/set-tag", {"run_id": run, "key": "k", "value": "v"}, {})),
        ("runs/create", "EDIT", ("POST", f"{MLFLOW}/runs/create", {"experiment_id": exp}, {})),
        ("experiments/set-tag", "EDIT", ("POST", f"{MLFLOW}/experiments/set-experiment-tag", {"experiment_id": exp, "key": "k", "value": "v"}, {})),
        ("logged-models/create", "EDIT", ("POST", f"{MLFLOW}/logged-models", {"experiment_id": exp}, {})),
        ("logged-models/set-tags", "EDIT", ("PATCH", f"{MLFLOW}/logged-models/{lm}/tags", {"tags": [{"key": "k", "value": "v"}]}, {})),
        ("artifacts/put", "EDIT", ("PUT", f"{ARTIFACTS}/artifacts/{w.artifact_dir}/notes.txt", b"notes", {})),
        ("registered-models/set-tag", "EDIT", ("POST", f"{MLFLOW}/registered-models/set-tag", {"name": model, "key": "k", "value": "v"}, {})),
        ("model-versions/create", "EDIT", ("POST", f"{MLFLOW}/model-versions/create", {"name": model, "source": f"mlflow-artifacts:/{w.artifact_dir}/model.txt", "run_id": run}, {})),
        ("registered-models/alias", "EDIT", ("POST", f"{MLFLOW}/registered-models/alias", {"name": model, "alias": "champion", "version": "1"}, {})),
        ("experiments/permissions/get", "MANAGE", ("GET", f"{MLFLOW}/experiments/permissions/get", None, {"experiment_id": exp, "username": OWNER})),
        ("registered-models/permissions/get", "MANAGE", ("GET", f"{MLFLOW}/registered-models/permissions/get", None, {"name": model, "username": OWNER})),
        ("artifacts/delete", "MANAGE", ("DELETE", f"{ARTIFACTS}/artifacts/{w.artifact_dir}/model.txt", None, {})),
        ("logged-models/delete", "MANAGE", ("DELETE", f"{MLFLOW}/logged-models/{lm}", None, {})),
        ("runs/delete", "MANAGE", ("POST", f"{MLFLOW}/runs/delete", {"run_id": run}, {})),
        ("experiments/update", "MANAGE", ("POST", f"{MLFLOW}/experiments/update", {"experiment_id": exp, "new_name": f"{w.experiment_name}-renamed"}, {})),
        ("model-versions/delete", "MANAGE", ("DELETE", f"{MLFLOW}/model-versions/delete", {"name": model, "version": "1"}, {})),
        ("experiments/delete", "MANAGE", ("POST", f"{MLFLOW}/experiments/delete", {"experiment_id": exp}, {})),
        ("registered-models/delete", "MANAGE", ("DELETE", f"{MLFLOW}/registered-models/delete", {"name": model}, {})),
    ]  # fmt: skip


RANK = {"NO_PERMISSIONS": 0, "READ": 1, "EDIT": 3, "MANAGE": 4}
PRINCIPALS = [
    ("stranger (default NO_PERMISSIONS)", Caller(STRANGER), None, "NO_PERMISSIONS"),
    ("reader", Caller(READER), READER, "READ"),
    ("editor", Caller(EDITOR), EDITOR, "EDIT"),
    ("manager", Caller(MANAGER), MANAGER, "MANAGE"),
    ("role matching an ARN pattern granted READ", Caller(TEAM_ROLE), TEAM_PATTERN, "READ"),
    ("JWT group member, group granted EDIT", Caller("carol", ("ml-team",)), "group:ml-team", "EDIT"),
    ("admin (configured)", Caller(ADMIN), None, "MANAGE"),
]


@pytest.mark.parametrize(("label", "caller", "grantee", "level"), PRINCIPALS, ids=[p[0] for p in PRINCIPALS])
def test_every_route_allows_exactly_the_levels_at_or_above_its_requirement(
    api: Api, label: str, caller: Caller, grantee: str | None, level: str
) -> None:
    world = build_world(api, label.split(maxsplit=1)[0])
    if grantee is not None:
        grant(api, world, grantee, level)
    outcomes = []
    for name, required, (method, path, body, params) in operations(world):
        status, reply = api(caller, method, path, body, **params)
        allowed = RANK[level] >= RANK[required]
        expected = 200 if allowed else 403
        outcomes.append((name, required, status, expected))
        if not allowed:
            assert reply["error_code"] == "PERMISSION_DENIED", (name, reply)
    wrong = [outcome for outcome in outcomes if outcome[2] != outcome[3]]
    assert not wrong, f"{label}: (route, required, got, expected) {wrong}"


def test_a_request_without_a_principal_is_401_when_authentication_is_required(api: Api) -> None:
    status, reply = api(None, "GET", f"{MLFLOW}/experiments/get", experiment_id="0")
    assert (status, reply["error_code"]) == (401, "UNAUTHENTICATED")
    assert api(None, "GET", "/health")[0] == 200


def test_search_returns_only_what_the_caller_may_read(api: Api) -> None:
    worlds = [build_world(api, f"s{index}") for index in range(3)]
    grant(api, worlds[1], READER, "READ")
    experiments = api.ok(READER, "POST", f"{MLFLOW}/experiments/search", {"max_results": 100})["experiments"]
    assert [e["experiment_id"] for e in experiments] == [worlds[1].experiment_id]
    models = api.ok(READER, "GET", f"{MLFLOW}/registered-models/search").get("registered_models", [])
    assert [m["name"] for m in models] == [worlds[1].model]
    versions = api.ok(READER, "GET", f"{MLFLOW}/model-versions/search").get("model_versions", [])
    assert {v["name"] for v in versions} == {worlds[1].model}
    status, reply = api(READER, "POST", f"{MLFLOW}/runs/search", {"experiment_ids": [w.experiment_id for w in worlds]})
    assert (status, reply["error_code"]) == (403, "PERMISSION_DENIED")
    owner_sees = api.ok(OWNER, "POST", f"{MLFLOW}/experiments/search", {"max_results": 100})["experiments"]
    assert {w.experiment_id for w in worlds} <= {e["experiment_id"] for e in owner_sees}


def test_an_explicit_no_permissions_grant_overrides_a_matching_pattern(api: Api) -> None:
    world = build_world(api, "deny")
    grant(api, world, TEAM_PATTERN, "EDIT")
    grant(api, world, TEAM_ROLE, "NO_PERMISSIONS")
    status, _ = api(TEAM_ROLE, "GET", f"{MLFLOW}/runs/get", run_id=world.run_id)
    assert status == 403
    other_role = TEAM_ROLE.replace("vision", "nlp")
    assert api(other_role, "GET", f"{MLFLOW}/runs/get", run_id=world.run_id)[0] == 200


def test_a_run_belongs_to_the_authenticated_principal_whatever_the_body_says(api: Api) -> None:
    world = build_world(api, "user")
    grant(api, world, EDITOR, "EDIT")
    body = {"experiment_id": world.experiment_id, "user_id": "mallory"}
    run = api.ok(EDITOR, "POST", f"{MLFLOW}/runs/create", body)["run"]["info"]
    assert run["user_id"] == EDITOR


def test_the_creator_manages_what_they_create_and_renames_carry_grants(api: Api) -> None:
    world = build_world(api, "own")
    got = api.ok(
        OWNER, "GET", f"{MLFLOW}/experiments/permissions/get", experiment_id=world.experiment_id, username=OWNER
    )
    assert got == {
        "experiment_permission": {"experiment_id": world.experiment_id, "user_id": OWNER, "permission": "MANAGE"}
    }
    grant(api, world, READER, "READ")
    api.ok(OWNER, "POST", f"{MLFLOW}/registered-models/rename", {"name": world.model, "new_name": "renamed"})
    assert api(READER, "GET", f"{MLFLOW}/registered-models/get", name="renamed")[0] == 200
    api.ok(OWNER, "DELETE", f"{MLFLOW}/registered-models/delete", {"name": "renamed"})
    api.ok(STRANGER, "POST", f"{MLFLOW}/registered-models/create", {"name": "renamed"})
    status, _ = api(READER, "GET", f"{MLFLOW}/registered-models/get", name="renamed")
    assert status == 403  # a new model of the same name does not inherit the old one's grants


def test_the_permission_api_answers_in_mlflow_shapes_and_errors(api: Api) -> None:
    world = build_world(api, "api")
    path = f"{MLFLOW}/registered-models/permissions"
    body = {"name": world.model, "username": READER, "permission": "READ"}
    created = api.ok(OWNER, "POST", f"{path}/create", body)
    assert created == {"registered_model_permission": {"name": world.model, "user_id": READER, "permission": "READ"}}
    status, reply = api(OWNER, "POST", f"{path}/create", body)
    assert (status, reply["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")
    status, reply = api(OWNER, "PATCH", f"{path}/update", {**body, "username": EDITOR})
    assert (status, reply["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    status, reply = api(OWNER, "PATCH", f"{path}/update", {**body, "permission": "OWNER"})
    assert (status, reply["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    status, reply = api(OWNER, "POST", f"{path}/create", {**body, "name": "no-such-model"})
    assert (status, reply["error_code"]) == (403, "PERMISSION_DENIED")  # no MANAGE there: existence stays hidden
    status, reply = api(ADMIN, "POST", f"{path}/create", {**body, "name": "no-such-model"})
    assert (status, reply["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    api.ok(OWNER, "PATCH", f"{path}/update", {**body, "permission": "EDIT"})
    assert (
        api.ok(OWNER, "GET", f"{path}/get", name=world.model, username=READER)["registered_model_permission"][
            "permission"
        ]
        == "EDIT"
    )
    api.ok(OWNER, "DELETE", f"{path}/delete", {"name": world.model, "username": READER})
    assert api(OWNER, "GET", f"{path}/get", name=world.model, username=READER)[0] == 404
    unified = "/api/3.0/mlflow/users/permissions"
    target = {"username": EDITOR, "resource_type": "experiment", "resource_id": world.experiment_id}
    api.ok(OWNER, "POST", f"{unified}/grant", {**target, "permission": "EDIT"})
    assert api.ok(OWNER, "GET", f"{unified}/get", **target) == {"allowed": True, "permission": "EDIT"}
    api.ok(OWNER, "POST", f"{unified}/revoke", target)
    api.ok(OWNER, "POST", f"{unified}/revoke", target)  # a retried revoke succeeds
    assert api.ok(OWNER, "GET", f"{unified}/get", **target) == {"allowed": False, "permission": "NO_PERMISSIONS"}
    status, reply = api(OWNER, "POST", f"{unified}/grant", {**target, "resource_type": "prompt", "permission": "READ"})
    assert (status, reply["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_twenty_threads_granting_revoking_and_reading_end_consistent(api: Api) -> None:
    world = build_world(api, "threads")
    unified = "/api/3.0/mlflow/users/permissions"
    kept = [f"arn:aws:iam::{ACCOUNT}:user/kept-{index}" for index in range(20)]
    revoked = [f"arn:aws:iam::{ACCOUNT}:user/revoked-{index}" for index in range(20)]
    statuses: list[int] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        target = {"resource_type": "experiment", "resource_id": world.experiment_id}
        results = [api(OWNER, "POST", f"{unified}/grant", {**target, "username": kept[index], "permission": "READ"})]
        results.append(
            api(OWNER, "POST", f"{unified}/grant", {**target, "username": revoked[index], "permission": "EDIT"})
        )
        results.append(api(revoked[index], "GET", f"{MLFLOW}/runs/get", None, run_id=world.run_id))
        results.append(api(OWNER, "POST", f"{unified}/revoke", {**target, "username": revoked[index]}))
        results.append(api(kept[index], "GET", f"{MLFLOW}/runs/get", None, run_id=world.run_id))
        # and everyone races on one shared principal's level
        level = ("READ", "EDIT", "MANAGE")[index % 3]
        results.append(api(OWNER, "POST", f"{unified}/grant", {**target, "username": EDITOR, "permission": level}))
        with lock:
            statuses.extend(status for status, _ in results)

    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(work, range(20)))
    assert set(statuses) == {200}, statuses
    for principal in kept:
        assert api(principal, "GET", f"{MLFLOW}/runs/get", run_id=world.run_id)[0] == 200
    for principal in revoked:
        assert api(principal, "GET", f"{MLFLOW}/runs/get", run_id=world.run_id)[0] == 403
    level = api.ok(
        OWNER, "GET", f"{unified}/get", username=EDITOR, resource_type="experiment", resource_id=world.experiment_id
    )
    assert level["permission"] in {"READ", "EDIT", "MANAGE"}


def test_serving_routes_need_read_on_the_served_model(api: Api) -> None:
    world = build_world(api, "serve")
    grant(api, world, READER, "READ")
    for path, params in (
        (f"/serving/{world.model}/version", {}),
        ("/api/2.0/trackway/deployments", {"name": world.model}),
    ):
        status, reply = api(STRANGER, "GET", path, None, **params)
        assert (status, reply["error_code"]) == (403, "PERMISSION_DENIED"), path
        status, reply = api(READER, "GET", path, None, **params)
        assert status != 403, (path, reply)  # past the check: no version is live yet, or the empty history
