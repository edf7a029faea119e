"""The UI server's WSGI app over a recording fake transport: forwarding, GraphQL, artifacts, feature-off
answers and the origin guard, without a browser or a stack."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

pytest.importorskip("graphql")

from trackway.ui.app import create_app
from trackway.ui.transport import Reply

RUN = {
    "info": {
        "run_id": "r1",
        "run_uuid": "r1",
        "experiment_id": "7",
        "status": "FINISHED",
        "start_time": 1700000000000,
        "artifact_uri": "mlflow-artifacts:/7/r1/artifacts",
        "lifecycle_stage": "active",
        "run_name": "first",
    },
    "data": {
        "metrics": [{"key": "loss", "value": "NaN", "timestamp": 5, "step": 3}],
        "params": [{"key": "lr", "value": "0.1"}],
    },
}


class FakeApi:
    """Answers a few trackway routes and records every call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, dict[str, str], bytes]] = []

    def __call__(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        self.calls.append((method, path, query, dict(headers), body))
        routes: dict[str, Any] = {
            "/api/2.0/mlflow/runs/get": {"run": RUN},
            "/api/2.0/mlflow/experiments/get": {
                "experiment": {"experiment_id": "7", "name": "exp", "creation_time": 1}
            },
            "/api/2.0/mlflow/model-versions/search": {"model_versions": [{"name": "m", "version": "1"}]},
            "/api/2.0/mlflow-artifacts/artifacts": {
                "files": [{"path": "sub", "is_dir": True}, {"path": "a.txt", "is_dir": False, "file_size": 3}]
            },
            "/api/3.0/mlflow/server-info": {"store_type": "trackway", "artifacts_presigned_only": True},
        }
        if path == "/api/2.0/mlflow/runs/search":
            return Reply(200, [("Content-Type", "application/json")], json.dumps({"runs": [RUN]}).encode())
        if path in routes:
            return Reply(200, [("Content-Type", "application/json")], json.dumps(routes[path]).encode())
        return Reply(
            404, [("Content-Type", "application/json")], b'{"error_code": "ENDPOINT_NOT_FOUND", "message": "no"}'
        )


@pytest.fixture
def api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def static_dir(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<html>mlflow ui</html>")
    (tmp_path / "static").mkdir()
    (tmp_path / "static" / "main.js").write_text("console.log(1)")
    return tmp_path


def call(
    app: Any, method: str, target: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    path, _, query = target.partition("?")
    data = json.dumps(body).encode() if body is not None else b""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(data),
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_HOST": "127.0.0.1:5001",
    }
    if body is not None:
        environ["CONTENT_TYPE"] = "application/json"
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        captured["status"], captured["headers"] = int(status.split(maxsplit=1)[0]), dict(response_headers)

    chunks = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], chunks


def test_index_and_static_files_come_from_the_build(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    assert call(app, "GET", "/")[2] == b"<html>mlflow ui</html>"
    status, headers, body = call(app, "GET", "/static-files/static/main.js")
    assert (status, body) == (200, b"console.log(1)") and "javascript" in headers["Content-Type"]
    assert call(app, "GET", "/static-files/../../etc/passwd")[0] == 404
    assert api.calls == []


def test_ajax_calls_go_to_the_same_api_route_as_json_without_browser_headers(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    status, _, body = call(
        app,
        "POST",
        "/ajax-api/2.0/mlflow/runs/search",
        {"experiment_ids": ["7"]},
        headers={"Origin": "http://127.0.0.1:5001", "Cookie": "secret=1"},
    )
    assert status == 200 and json.loads(body)["runs"][0]["info"]["run_id"] == "r1"
    method, path, _query, headers, sent = api.calls[-1]
    assert (method, path) == ("POST", "/api/2.0/mlflow/runs/search")
    assert headers["Content-Type"] == "application/json" and json.loads(sent) == {"experiment_ids": ["7"]}
    assert not {"Origin", "Host", "Cookie"} & set(headers)
    call(app, "GET", "/ajax-api/2.0/mlflow/experiments/search?filter=name+LIKE+%27a%25%27&max_results=5")
    assert api.calls[-1][2] == "filter=name%20LIKE%20%27a%25%27&max_results=5"  # canonical, as SigV4 needs


def test_foreign_origin_and_host_are_refused(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    assert (
        call(
            app,
            "POST",
            "/ajax-api/2.0/mlflow/runs/delete",
            {"run_id": "r1"},
            headers={"Origin": "https://evil.example"},
        )[0]
        == 403
    )
    assert call(app, "GET", "/", headers={"Host": "evil.example:5001"})[0] == 403
    assert api.calls == []


def test_graphql_get_run_answers_from_rest_routes(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    query = """query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
      mlflowGetRun(input: $data) { apiError { code message } run { __typename
        info { runUuid runName startTime status } experiment { name creationTime }
        data { metrics { key value step } params { key value } } modelVersions { name version } } } }"""
    status, _, body = call(app, "POST", "/graphql", {"query": query, "variables": {"data": {"runId": "r1"}}})
    answer = json.loads(body)
    assert status == 200 and answer["errors"] is None
    run = answer["data"]["mlflowGetRun"]["run"]
    assert run["info"] == {"runUuid": "r1", "runName": "first", "startTime": "1700000000000", "status": "FINISHED"}
    assert run["experiment"] == {"name": "exp", "creationTime": "1"}
    assert run["data"]["metrics"] == [{"key": "loss", "value": None, "step": "3"}]  # NaN becomes null
    assert run["modelVersions"] == [{"name": "m", "version": "1"}]
    searched = [parse_qs(q) for _m, p, q, _h, _b in api.calls if p.endswith("model-versions/search")]
    assert searched == [{"filter": ["run_id = 'r1'"], "max_results": ["100"]}]


def test_graphql_reports_api_errors_in_api_error(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    query = (
        'query Q { mlflowGetMetricHistoryBulkInterval(input: {runIds: ["r1"], metricKey: "x"}) { apiError { code } } }'
    )
    answer = json.loads(call(app, "POST", "/graphql", {"query": query})[2])
    assert answer["data"]["mlflowGetMetricHistoryBulkInterval"]["apiError"] == {"code": "ENDPOINT_NOT_FOUND"}
    assert call(app, "POST", "/graphql", {"variables": {}})[0] == 400


def test_artifact_listing_is_relative_to_the_run_root(api: FakeApi, static_dir: Path) -> None:
    app = create_app(api, static_dir=static_dir)
    status, _, body = call(app, "GET", "/ajax-api/2.0/mlflow/artifacts/list?run_uuid=r1&path=dir")
    assert status == 200
    assert json.loads(body) == {
        "root_uri": "mlflow-artifacts:/7/r1/artifacts",
        "files": [{"path": "dir/a.txt", "is_dir": False, "file_size": 3}, {"path": "dir/sub", "is_dir": True}],
    }
    assert parse_qs(api.calls[-1][2]) == {"path": ["7/r1/artifacts/dir"]}
    assert call(app, "GET", "/get-artifact?run_uuid=r1&path=../../other/secret")[0] == 400


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("POST", "/ajax-api/3.0/mlflow/traces/search", "traces"),
        ("GET", "/ajax-api/3.0/mlflow/scorers/list", "scorers"),
        ("GET", "/ajax-api/2.0/mlflow/gateway-proxy", "endpoints"),
        ("GET", "/ajax-api/3.0/mlflow/gateway/endpoints/list", "endpoints"),
    ],
)
def test_missing_features_answer_empty(api: FakeApi, static_dir: Path, method: str, path: str, key: str) -> None:
    status, _, body = call(create_app(api, static_dir=static_dir), method, path, {} if method == "POST" else None)
    assert (status, json.loads(body)) == (200, {key: []})
    assert api.calls == []


def test_server_info_hides_the_store_type_from_the_ui(api: FakeApi, static_dir: Path) -> None:
    info = json.loads(call(create_app(api, static_dir=static_dir), "GET", "/ajax-api/3.0/mlflow/server-info")[2])
    assert info["store_type"] is None and info["workspaces_enabled"] is False and info["artifacts_presigned_only"]
