"""The MLflow UI as a WSGI application over a trackway Transport.

`create_app(transport)` returns a WSGI callable that serves MLflow's built UI (from the installed `mlflow`
package) and answers every call it makes: `ajax-api/2.0|3.0/...` forwarded to the same `/api/...` route,
`graphql`, `get-artifact`, `model-versions/get-artifact`, artifact listings, and empty answers for features
trackway lacks. All API traffic goes through the transport; the browser's cookies, Origin and Host are never
passed on.

Interface for embedding (the local stack mounts the app at `/`):

    transport(method, path, query, headers, body) -> Reply(status, headers, body)

where `path` is a decoded trackway route such as `/api/2.0/mlflow/runs/get`, `query` the raw query string,
`headers` the few the API needs (Content-Type: application/json on JSON bodies), and redirects are returned,
not followed. The transport must not call the server that hosts this app over HTTP.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import requests

from trackway.query import canonical_query
from trackway.ui import artifacts
from trackway.ui.api import JSON_HEADERS, Api, ApiError
from trackway.ui.features import empty_answer
from trackway.ui.graphql import GraphQL
from trackway.ui.static import StaticFiles, find_build_dir
from trackway.ui.transport import Transport
from trackway.ui.wsgi import Environ, Request, Response, StartResponse, WSGIApp, error_response, json_response

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]"})
_AJAX = re.compile(r"^/ajax-api/(?P<version>[234]\.0)(?P<rest>/.*)$")
_LOGGED_MODEL_ARTIFACTS = re.compile(
    r"^/ajax-api/2\.0/mlflow/logged-models/(?P<id>[^/]+)/artifacts/(?P<kind>files|directories)$"
)
_MLFLOW_ARTIFACT_FILE = re.compile(r"^/ajax-api/2\.0/mlflow-artifacts/artifacts/(?P<path>.+)$")
_NO_STORE = ("Cache-Control", "no-store")
Handler = Callable[[Request], Response]


def _hostname(host: str) -> str:
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.split(":", 1)[0].lower()


class UIApp:
    """The WSGI callable; build it with `create_app`."""

    def __init__(
        self, transport: Transport, static_dir: Path | None = None, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS
    ):
        self.api = Api(transport)
        self.static = StaticFiles(static_dir or find_build_dir())
        self.graphql = GraphQL(self.api)
        self.allowed_hosts = frozenset(allowed_hosts)
        self._downloads = requests.Session()
        self._exact: dict[str, Handler] = {
            "/": self._index,
            "/health": lambda _r: Response(200, b"OK", [("Content-Type", "text/plain")]),
            "/graphql": self._graphql,
            "/ajax-api/graphql": self._graphql,
            "/get-artifact": self._run_artifact,
            "/ajax-api/2.0/mlflow/get-artifact": self._run_artifact,
            "/model-versions/get-artifact": self._model_version_artifact,
            "/ajax-api/2.0/mlflow/model-versions/get-artifact": self._model_version_artifact,
            "/ajax-api/2.0/mlflow/artifacts/list": self._list_run_artifacts,
            "/ajax-api/2.0/mlflow/metrics/get-history-bulk": self._history_bulk,
            "/ajax-api/3.0/mlflow/server-info": self._server_info,
        }

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        refusal = self._refusal(request)
        response = refusal or self._handle(request)
        return response(start_response)

    def _refusal(self, request: Request) -> Response | None:
        # The server holds the user's credentials: a page from another origin, or a rebound DNS name, must
        # not be able to drive it.
        host = _hostname(request.headers.get("host", ""))
        if host and host not in self.allowed_hosts:
            return error_response(403, "PERMISSION_DENIED", f"host {host!r} is not allowed")
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            return error_response(403, "PERMISSION_DENIED", f"cross-origin request from {origin!r} refused")
        return None

    def _handle(self, request: Request) -> Response:
        try:
            handler = self._route(request)
            return (
                handler(request)
                if handler
                else error_response(404, "ENDPOINT_NOT_FOUND", f"no route for {request.path}")
            )
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message)
        except ValueError as exc:  # malformed JSON or parameters from the browser
            return error_response(400, "BAD_REQUEST", str(exc))
        except requests.RequestException as exc:
            return error_response(503, "TEMPORARILY_UNAVAILABLE", f"trackway API unreachable: {exc}")

    def _route(self, request: Request) -> Handler | None:
        path = request.path
        if path in self._exact:
            return self._exact[path]
        if path.startswith("/static-files/"):
            return self._static
        if _LOGGED_MODEL_ARTIFACTS.match(path):
            return self._logged_model_artifacts
        if request.method == "GET" and _MLFLOW_ARTIFACT_FILE.match(path):
            return self._mlflow_artifact_file
        found = _AJAX.match(path)
        if found is None:
            return None
        empty = empty_answer(request.method, f"/{found['version']}{found['rest']}")
        if empty is not None:
            return lambda _r: json_response(empty)
        return self._forward

    # --- the page itself --------------------------------------------------------------------------
    def _index(self, _request: Request) -> Response:
        return Response(200, self.static.index(), [("Content-Type", "text/html; charset=utf-8"), _NO_STORE])

    def _static(self, request: Request) -> Response:
        found = self.static.find(request.path.removeprefix("/static-files/"))
        if found is None:
            return error_response(404, "RESOURCE_DOES_NOT_EXIST", f"no file {request.path}")
        cache = "public, max-age=2419200" if "/static/" in request.path else "no-cache"
        return Response(
            200, found.read_bytes(), [("Content-Type", self.static.content_type(found)), ("Cache-Control", cache)]
        )

    # --- API calls --------------------------------------------------------------------------------
    def _forward(self, request: Request) -> Response:
        found = _AJAX.match(request.path)
        assert found is not None
        query = canonical_query(parse_qsl(request.query, keep_blank_values=True))
        body = request.body if request.method not in ("GET", "HEAD") else b""
        headers = JSON_HEADERS if body else {"Accept": "application/json"}
        reply = self.api.transport(request.method, f"/api/{found['version']}{found['rest']}", query, headers, body)
        content_type = reply.header("Content-Type") or "application/json"
        return Response(reply.status, reply.body, [("Content-Type", content_type), _NO_STORE])

    def _graphql(self, request: Request) -> Response:
        if request.method == "GET":
            payload: dict[str, object] = {
                "query": request.param("query"),
                "operationName": request.param("operationName"),
            }
            if request.param("variables"):
                payload["variables"] = json.loads(request.param("variables"))
        else:
            payload = request.json()
        return json_response(self.graphql.execute(payload))

    def _server_info(self, _request: Request) -> Response:
        try:
            info = self.api.get("/api/3.0/mlflow/server-info")
        except ApiError:
            info = {}
        # The UI reads these flags to decide which pages and banners to show; trackway is neither of the
        # store types it knows (FileStore, SqlStore), and has no workspaces or trace archival.
        info.update({"store_type": None, "workspaces_enabled": False, "trace_archival_enabled": False})
        return json_response(info)

    def _history_bulk(self, request: Request) -> Response:
        params = request.params()
        key = request.param("metric_key")
        metrics: list[dict[str, object]] = []
        for run_id in params.get("run_id", [])[:100]:
            found = self.api.get(
                "/api/2.0/mlflow/metrics/get-history", run_id=run_id, metric_key=key, max_results=25000
            )
            metrics.extend({**metric, "run_id": run_id} for metric in found.get("metrics", []))
        return json_response({"metrics": metrics})

    # --- artifacts --------------------------------------------------------------------------------
    def _list_run_artifacts(self, request: Request) -> Response:
        run_id = request.param("run_id") or request.param("run_uuid")
        root_uri, root = artifacts.run_root(self.api, run_id)
        return json_response(artifacts.list_dir(self.api, root_uri, root, request.param("path")))

    def _run_artifact(self, request: Request) -> Response:
        _uri, root = artifacts.run_root(self.api, request.param("run_id") or request.param("run_uuid"))
        return self._download(root, request.param("path"))

    def _model_version_artifact(self, request: Request) -> Response:
        root = artifacts.model_version_root(self.api, request.param("name"), request.param("version"))
        return self._download(root, request.param("path"))

    def _logged_model_artifacts(self, request: Request) -> Response:
        found = _LOGGED_MODEL_ARTIFACTS.match(request.path)
        assert found is not None
        root_uri, root = artifacts.logged_model_root(self.api, found["id"])
        if found["kind"] == "files":
            return self._download(root, request.param("artifact_file_path"))
        return json_response(artifacts.list_dir(self.api, root_uri, root, request.param("artifact_directory_path")))

    def _mlflow_artifact_file(self, request: Request) -> Response:
        found = _MLFLOW_ARTIFACT_FILE.match(request.path)
        assert found is not None
        return self._download("", found["path"])

    def _download(self, root: str, path: str) -> Response:
        got = artifacts.download(self.api, root, path, self._downloads)
        headers = [("Content-Type", got.content_type), ("X-Content-Type-Options", "nosniff"), _NO_STORE]
        if got.length is not None:
            headers.append(("Content-Length", str(got.length)))
        return Response(got.status, got.chunks, headers)


def create_app(
    transport: Transport, *, static_dir: Path | None = None, allowed_hosts: Iterable[str] = LOOPBACK_HOSTS
) -> WSGIApp:
    """The UI as a WSGI application whose API calls all go through `transport`."""
    return UIApp(transport, static_dir, allowed_hosts)
