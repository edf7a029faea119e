"""Access control on a local stack started with TRACKWAY_LOCAL_USERS: every request needs a bearer token,
and the unmodified mlflow client (MLFLOW_TRACKING_TOKEN) and MLflow's own AuthServiceClient see the same
permission model as a deployed stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import mlflow
import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from mlflow.server.auth.client import AuthServiceClient

from trackway_backend.local.process import StackProcess

API = "/api/2.0/mlflow"
TOKENS = {
    "root-token": {"principal": "root", "admin": True},
    "alice-token": {"principal": "alice"},
    "bob-token": {"principal": "bob"},
    "carol-token": {"principal": "carol", "groups": ["vision"]},
}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    data_dir = tmp_path_factory.mktemp("trackway-access")
    users = Path(data_dir) / "users.json"
    users.write_text(json.dumps({"tokens": TOKENS}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        patch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
        with StackProcess(data_dir / "data", env={"TRACKWAY_LOCAL_USERS": str(users), "TRACKWAY_WORKERS": "2"}) as s:
            yield s


@contextmanager
def as_user(token: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_TOKEN", token)
        patch.delenv("TRACKWAY_TRACKING_TOKEN", raising=False)
        yield


def denied(error: pytest.ExceptionInfo[MlflowException]) -> bool:
    return error.value.error_code == "PERMISSION_DENIED"


def test_every_request_but_health_needs_a_known_token(stack: StackProcess) -> None:
    url = f"{stack.url}{API}/experiments/search"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWxpY2U6eA=="}):
        response = requests.post(url, json={}, headers=headers, timeout=30)
        assert response.status_code == 401, headers
        assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert requests.get(f"{stack.url}/health", timeout=30).status_code == 200
    ok = requests.post(url, json={}, headers={"Authorization": "Bearer alice-token"}, timeout=30)
    assert ok.status_code == 200


def test_the_mlflow_client_and_auth_client_enforce_and_grant(stack: StackProcess, tmp_path: Path) -> None:
    mlflow.set_tracking_uri(stack.url)
    client = MlflowClient(stack.url)
    name = f"alice-{uuid.uuid4().hex[:8]}"
    with as_user("alice-token"):
        experiment_id = client.create_experiment(name)
        run = client.create_run(experiment_id, tags={"mlflow.user": "mallory"})
        client.log_metric(run.info.run_id, "loss", 0.5)
        (tmp_path / "weights.txt").write_text("weights")
        client.log_artifact(run.info.run_id, str(tmp_path / "weights.txt"))
        assert client.get_run(run.info.run_id).info.user_id == "alice"
        client.create_registered_model(f"{name}-model")
    with as_user("bob-token"):
        with pytest.raises(MlflowException) as error:
            client.get_run(run.info.run_id)
        assert denied(error)
        assert name not in {e.name for e in client.search_experiments()}
        assert f"{name}-model" not in {m.name for m in client.search_registered_models()}
        with pytest.raises(MlflowException) as error:  # bob cannot grant himself anything
            AuthServiceClient(stack.url).grant_user_permission("bob", "experiment", experiment_id, "MANAGE")
        assert denied(error)
    with as_user("alice-token"):
        auth = AuthServiceClient(stack.url)
        auth.grant_user_permission("bob", "experiment", experiment_id, "READ")
        assert auth.get_user_permission("bob", "experiment", experiment_id).permission == "READ"
        auth.grant_user_permission("group:vision", "registered_model", f"{name}-model", "EDIT")
    with as_user("bob-token"):
        assert client.get_run(run.info.run_id).data.metrics == {"loss": 0.5}
        assert [f.path for f in client.list_artifacts(run.info.run_id)] == ["weights.txt"]
        downloaded = client.download_artifacts(run.info.run_id, "weights.txt", str(tmp_path / "bob"))
        assert Path(downloaded).read_text() == "weights"
        assert name in {e.name for e in client.search_experiments()}
        with pytest.raises(MlflowException) as error:
            client.log_metric(run.info.run_id, "loss", 0.1)
        assert denied(error)
    with as_user("carol-token"):
        client.set_registered_model_tag(f"{name}-model", "team", "vision")
        with pytest.raises(MlflowException) as error:
            client.delete_registered_model(f"{name}-model")
        assert denied(error)
    with as_user("alice-token"):
        AuthServiceClient(stack.url).revoke_user_permission("bob", "experiment", experiment_id)
    with as_user("bob-token"):
        with pytest.raises(MlflowException) as error:
            client.get_run(run.info.run_id)
        assert denied(error)
    with as_user("root-token"):  # the admin sees and manages everything
        assert client.get_registered_model(f"{name}-model").tags == {"team": "vision"}
        client.delete_registered_model(f"{name}-model")


def test_the_legacy_permission_routes_answer_in_mlflow_2_shapes(stack: StackProcess) -> None:
    alice = {"Authorization": "Bearer alice-token"}
    name = f"legacy-{uuid.uuid4().hex[:8]}"
    created = requests.post(f"{stack.url}{API}/experiments/create", json={"name": name}, headers=alice, timeout=30)
    experiment_id = created.json()["experiment_id"]
    body = {"experiment_id": experiment_id, "username": "bob", "permission": "EDIT"}
    response = requests.post(f"{stack.url}{API}/experiments/permissions/create", json=body, headers=alice, timeout=30)
    assert response.json() == {
        "experiment_permission": {"experiment_id": experiment_id, "user_id": "bob", "permission": "EDIT"}
    }
    params = {"experiment_id": experiment_id, "username": "bob"}
    got = requests.get(f"{stack.url}{API}/experiments/permissions/get", params=params, headers=alice, timeout=30)
    assert got.json()["experiment_permission"]["permission"] == "EDIT"
    bob = {"Authorization": "Bearer bob-token"}
    run = requests.post(f"{stack.url}{API}/runs/create", json={"experiment_id": experiment_id}, headers=bob, timeout=30)
    assert run.status_code == 200 and run.json()["run"]["info"]["user_id"] == "bob"
    removed = requests.delete(
        f"{stack.url}{API}/experiments/permissions/delete", json=params, headers=alice, timeout=30
    )
    assert removed.status_code == 200
    again = requests.post(
        f"{stack.url}{API}/runs/create", json={"experiment_id": experiment_id}, headers=bob, timeout=30
    )
    assert (again.status_code, again.json()["error_code"]) == (403, "PERMISSION_DENIED")


def test_twenty_concurrent_grants_revokes_and_reads_end_consistent(stack: StackProcess) -> None:
    alice = {"Authorization": "Bearer alice-token"}
    name = f"race-{uuid.uuid4().hex[:8]}"
    experiment_id = requests.post(
        f"{stack.url}{API}/experiments/create", json={"name": name}, headers=alice, timeout=30
    ).json()["experiment_id"]
    grant_url = f"{stack.url}/api/3.0/mlflow/users/permissions"

    def work(index: int) -> list[int]:
        target = {"username": f"user-{index}", "resource_type": "experiment", "resource_id": experiment_id}
        statuses = [
            requests.post(
                f"{grant_url}/grant", json={**target, "permission": "READ"}, headers=alice, timeout=60
            ).status_code
        ]
        statuses.append(requests.get(f"{grant_url}/get", params=target, headers=alice, timeout=60).status_code)
        if index % 2:
            statuses.append(requests.post(f"{grant_url}/revoke", json=target, headers=alice, timeout=60).status_code)
        return statuses

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = [status for statuses in pool.map(work, range(20)) for status in statuses]
    assert set(results) == {200}
    for index in range(20):
        target = {"username": f"user-{index}", "resource_type": "experiment", "resource_id": experiment_id}
        level = requests.get(f"{grant_url}/get", params=target, headers=alice, timeout=30).json()["permission"]
        assert level == ("NO_PERMISSIONS" if index % 2 else "READ"), index
