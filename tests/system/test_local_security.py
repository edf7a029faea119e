"""The local stack is reachable from this machine only, and web pages cannot drive it.

Every engine listens on loopback (read from the sockets the stack's processes hold, as `ss -ltnp` shows
them), and the gateway refuses a foreign Host (DNS rebinding), a foreign Origin (a cross-site request) and
a non-JSON body on a JSON route (a "simple" cross-site POST), with MLflow error bodies and nothing written.
"""

from __future__ import annotations

import ipaddress
import uuid

import mlflow
import pytest
import requests
from mlflow import MlflowClient

from tests.support.sockets import listening
from trackway_backend.local.process import StackProcess

API = "/api/2.0/mlflow"


def test_every_engine_of_the_stack_listens_on_loopback_only(local_stack: StackProcess) -> None:
    sockets = listening(local_stack.pid)
    # the API, DynamoDB Local, s3rver and the supervisor's control port at least
    assert len(sockets) >= 4, sockets
    assert (("127.0.0.1", local_stack.port)) in sockets
    assert [s for s in sockets if not ipaddress.ip_address(s[0]).is_loopback] == []


def experiment_exists(url: str, name: str) -> bool:
    response = requests.get(f"{url}{API}/experiments/get-by-name", params={"experiment_name": name}, timeout=10)
    return response.status_code == 200


@pytest.mark.parametrize(
    ("headers", "status", "error_code"),
    [
        ({"Content-Type": "text/plain"}, 415, "BAD_REQUEST"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415, "BAD_REQUEST"),
        ({"Content-Type": "application/json", "Origin": "https://attacker.example"}, 403, "PERMISSION_DENIED"),
        ({"Content-Type": "text/plain", "Origin": "null"}, 403, "PERMISSION_DENIED"),
        ({"Content-Type": "application/json", "Host": "attacker.example:5000"}, 403, "PERMISSION_DENIED"),
    ],
    ids=["text-plain", "form", "foreign-origin", "null-origin", "rebound-host"],
)
def test_cross_site_writes_are_refused_and_write_nothing(
    local_stack: StackProcess, headers: dict[str, str], status: int, error_code: str
) -> None:
    name = f"xsite-{uuid.uuid4().hex[:8]}"
    response = requests.post(
        f"{local_stack.url}{API}/experiments/create", data=f'{{"name": "{name}"}}', headers=headers, timeout=10
    )
    assert response.status_code == status
    assert response.json()["error_code"] == error_code
    assert response.json()["message"]
    assert not experiment_exists(local_stack.url, name)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_loopback_names_and_same_origin_pages_are_served(local_stack: StackProcess, host: str) -> None:
    name = f"same-origin-{uuid.uuid4().hex[:8]}"
    response = requests.post(
        f"{local_stack.url}{API}/experiments/create",
        json={"name": name},
        headers={"Host": f"{host}:{local_stack.port}", "Origin": f"http://{host}:{local_stack.port}"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    assert experiment_exists(local_stack.url, name)


def test_the_mlflow_client_and_plain_json_requests_keep_working(local_stack: StackProcess) -> None:
    client = MlflowClient(local_stack.url)
    experiment_id = client.create_experiment(f"clients-{uuid.uuid4().hex[:8]}")
    mlflow.set_tracking_uri(local_stack.url)
    run = client.create_run(experiment_id)
    client.log_metric(run.info.run_id, "m", 1.0)
    curl_like = requests.post(
        f"{local_stack.url}{API}/runs/search",
        data=f'{{"experiment_ids": ["{experiment_id}"]}}',
        headers={"Content-Type": "application/json"},
        timeout=10,
    )
    assert [r["info"]["run_id"] for r in curl_like.json()["runs"]] == [run.info.run_id]


def test_a_body_over_the_api_gateway_limit_gets_413(local_stack: StackProcess) -> None:
    body = b"{" + b" " * (10 * 1024 * 1024) + b"}"
    response = requests.post(
        f"{local_stack.url}{API}/runs/log-batch", data=body, headers={"Content-Type": "application/json"}, timeout=30
    )
    assert response.status_code == 413
