"""The local API Gateway: a WSGI application that turns each HTTP request into an API Gateway HTTP API
(payload 2.0) event and calls the same Lambda handler, chosen by the same route table, as the deployed stack.

gunicorn's sync workers serve it (local/api_workers.py), so each worker process handles one request at a time,
as each Lambda execution environment handles one event at a time. API Gateway's 10 MB payload limit and its
413 hold here too, and the request guard (local/request_guard.py) keeps web pages out.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import logging
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from trackway_backend.local.request_guard import RequestGuard
from trackway_backend.local.users import OPEN_PATHS, LocalUsers
from trackway_backend.routes import Function, match

log = logging.getLogger("trackway.local")
API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024
LOCAL_PREFIX = "/_local/"
# API Gateway's own words first (a deployed HTTP API answers exactly "Request Entity Too Large"), then the fix.
TOO_LARGE = (
    "Request Entity Too Large: API Gateway takes at most 10 MB per request. To upload artifacts of any size "
    "with the mlflow client, install the trackway plugin: pip install 'trackway[mlflow]' (or use mlflow>=3.18, "
    "or set MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true and MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=5242880)."
)
# The deployed functions' timeouts (infra/trackway_infra/functions.py SPECS; a test keeps them equal).
FUNCTION_TIMEOUT_SECONDS = {
    "tracking": 28.0,
    "registry": 28.0,
    "artifacts": 15.0,
    "serving": 28.0,
    "publisher": 60.0,
    "approval": 120.0,
    "deployment": 300.0,
    "redrive": 300.0,
}
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")
StartResponse = Callable[[str, list[tuple[str, str]]], Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
_REASONS = {
    200: "OK",
    302: "Found",
    401: "Unauthorized",
    404: "Not Found",
    413: "Payload Too Large",
    500: "Internal Server Error",
}
_UNAUTHENTICATED = {
    "error_code": "UNAUTHENTICATED",
    "message": "Authentication required: send Authorization: Bearer <token> with a token from TRACKWAY_LOCAL_USERS "
    "(MLFLOW_TRACKING_TOKEN or TRACKWAY_TRACKING_TOKEN in the client)",
}
NO_UI_PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>trackway</title></head><body>
<h1>trackway is running</h1>
<p>This is the MLflow tracking API. The MLflow web UI is served here when the UI extra is installed:</p>
<pre>pip install './sdk[ui]'    # or: pip install 'trackway[ui]'</pre>
<p>then restart the stack. <code>trackway ui --tracking-uri URL</code> serves the UI for any trackway API,
local or deployed.</p>
</body></html>
"""


@dataclass
class LocalContext:
    """The Lambda context a handler sees locally: its remaining time counts down from the function's timeout
    (FUNCTION_TIMEOUT_SECONDS, the deployed functions' timeouts), as Lambda's does."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    timeout_seconds: float = 28.0
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))

    @classmethod
    def of(cls, name: str, request_id: str) -> LocalContext:
        """The context of function `name` (tracking, deployment, …) for one invocation starting now."""
        return cls(f"trackway-{name}", request_id, timeout_seconds=FUNCTION_TIMEOUT_SECONDS.get(name, 28.0))


def lambda_handler(function: Function | str) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """A function's Lambda entry point (`trackway_backend.handlers.<name>.handler`), imported on first use."""
    module = importlib.import_module(f"trackway_backend.handlers.{Function(function).value}")
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = module.handler
    return handler


def build_event(method: str, target: str, headers: dict[str, str], body: bytes, client_ip: str) -> dict[str, Any]:
    parts = urlsplit(target)
    content_type = headers.get("content-type", "")
    is_text = not body or content_type.startswith(_TEXT_TYPES)
    try:
        text = body.decode() if is_text else None
    except UnicodeDecodeError:
        text = None
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": headers.get("host", "127.0.0.1"),
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": client_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": text if text is not None else base64.b64encode(body).decode(),
        "isBase64Encoded": text is None,
    }
    if parts.query:
        event["queryStringParameters"] = {
            key: ",".join(values) for key, values in parse_qs(parts.query, keep_blank_values=True).items()
        }
    return event


def dispatch(
    method: str,
    target: str,
    headers: dict[str, str],
    body: bytes,
    client_ip: str,
    claims: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request through the route table to its function's Lambda handler, in this process. `claims`
    are a verified principal's, placed where API Gateway's JWT authorizer puts them."""
    path = urlsplit(target).path
    found = match(method, path)
    if found is None:
        return _json(404, {"message": "Not Found"})
    route, path_parameters = found
    event = build_event(method, target, headers, body, client_ip)
    event["routeKey"] = route.route_key
    event["requestContext"]["routeKey"] = route.route_key
    if path_parameters:
        event["pathParameters"] = path_parameters
    if claims is not None:
        event["requestContext"]["authorizer"] = {"jwt": {"claims": claims, "scopes": None}}
    context = LocalContext.of(route.function.value, event["requestContext"]["requestId"])
    try:
        response = lambda_handler(route.function)(event, context)
    except Exception:
        # What API Gateway answers when a function fails outside its own error handling.
        log.exception("%s function failed", route.function.value)
        return _json(500, {"message": "Internal Server Error"})
    response_body: str = response.get("body") or ""
    data = base64.b64decode(response_body) if response.get("isBase64Encoded") else response_body.encode()
    reply_headers = {key.lower(): str(value) for key, value in (response.get("headers") or {}).items()}
    for name, values in (response.get("multiValueHeaders") or {}).items():
        reply_headers[name.lower()] = ", ".join(values)
    return int(response.get("statusCode", 200)), reply_headers, data


def _json(status: int, payload: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"content-type": "application/json"}, json.dumps(payload).encode()


class Gateway:
    """The WSGI application. `control_url` serves the supervisor's own routes (`/_local/...`: the event log)."""

    def __init__(
        self,
        guard: RequestGuard,
        control_url: str | None = None,
        ui: WsgiApp | None = None,
        users: LocalUsers | None = None,
    ) -> None:
        self.guard = guard
        self.control_url = control_url
        self.ui = ui
        self.users = users

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"].upper()
        target = environ.get("RAW_URI") or _target(environ)
        path = urlsplit(target).path
        headers = _headers(environ)
        refusal = self.guard.refusal(method, path, headers)
        user = None if self.users is None else self.users.authenticate(headers.get("authorization"))
        if refusal is not None:
            status, reply, data = _json(refusal.status, {"error_code": refusal.error_code, "message": refusal.message})
        elif self.users is not None and user is None and path not in OPEN_PATHS:
            status, reply, data = _json(401, _UNAUTHENTICATED)
            reply["www-authenticate"] = "Bearer"
        else:
            body = _read_body(environ)
            if body is None:
                status, reply, data = _json(413, {"message": TOO_LARGE})
            elif path.startswith(LOCAL_PREFIX):
                status, reply, data = self._control(method, target)
            elif self.ui is not None and match(method, path) is None and not path.startswith("/api/"):
                # The body is read already (for the limit): hand the UI a stream of it.
                ui_environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
                return self.ui(ui_environ, start_response)
            elif method in ("GET", "HEAD") and path == "/":
                status, reply, data = 200, {"content-type": "text/html; charset=utf-8"}, NO_UI_PAGE
            else:
                claims = None if user is None else user.claims()
                status, reply, data = dispatch(method, target, headers, body, environ.get("REMOTE_ADDR", ""), claims)
        skip = ("content-length", "connection", "transfer-encoding")
        response_headers = [(key, value) for key, value in reply.items() if key not in skip]
        response_headers.append(("content-length", str(len(data))))
        start_response(f"{status} {_REASONS.get(status, 'Status')}", response_headers)
        return [b"" if method == "HEAD" else data]

    def _control(self, method: str, target: str) -> tuple[int, dict[str, str], bytes]:
        if self.control_url is None:
            return _json(404, {"message": "Not Found"})
        request = urllib.request.Request(f"{self.control_url}{target}", method="GET" if method == "HEAD" else method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, {"content-type": "application/json"}, response.read()
        except urllib.error.HTTPError as error:
            return error.code, {"content-type": "application/json"}, error.read()


def _target(environ: dict[str, Any]) -> str:
    path = quote(environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""), safe="/:@!$&'()*+,;=-._~")
    query = environ.get("QUERY_STRING", "")
    return f"{path}?{query}" if query else path


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = environ["CONTENT_TYPE"]
    if environ.get("CONTENT_LENGTH"):
        headers["content-length"] = environ["CONTENT_LENGTH"]
    return headers


def _read_body(environ: dict[str, Any]) -> bytes | None:
    """The whole body, or None when it is over API Gateway's limit (then it is not read past the limit)."""
    declared = environ.get("CONTENT_LENGTH") or ""
    stream = environ["wsgi.input"]
    if declared.strip().isdigit():
        length = int(declared)
        return None if length > API_GATEWAY_PAYLOAD_LIMIT else (stream.read(length) if length else b"")
    body = stream.read(API_GATEWAY_PAYLOAD_LIMIT + 1)  # chunked: the server de-chunks; read one byte past the limit
    return None if len(body) > API_GATEWAY_PAYLOAD_LIMIT else bytes(body)
