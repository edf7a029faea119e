"""An HTTP server that turns requests into API Gateway HTTP API (payload 2.0) events and calls the same
Lambda handlers, dispatched by the same route table, as the deployed stack."""

from __future__ import annotations

import base64
import importlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trackway_backend.routes import Function, match

log = logging.getLogger("trackway.local")
API_GATEWAY_PAYLOAD_LIMIT = 10 * 1024 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml")
LocalRoute = Callable[[str, dict[str, list[str]]], tuple[int, dict[str, Any]]]


@dataclass
class LocalContext:
    """The Lambda context a handler sees locally."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


class Functions:
    """Each function's module, configured once; each thread gets its own resolver, as each Lambda
    execution environment does."""

    def __init__(self) -> None:
        self._settings: dict[Function, Any] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def app(self, function: Function) -> Any:
        apps = self._local.__dict__.setdefault("apps", {})
        if function not in apps:
            module = importlib.import_module(f"trackway_backend.handlers.{function.value}")
            with self._lock:
                if function not in self._settings:
                    self._settings[function] = module.configure()
            apps[function] = module.build_app(self._settings[function])
        return apps[function]


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


class Gateway(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's default of 5 drops connections when many clients connect at once

    def __init__(self, address: tuple[str, int], local_routes: dict[str, LocalRoute] | None = None) -> None:
        super().__init__(address, _RequestHandler)
        self.functions = Functions()
        self.local_routes = local_routes or {}


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes; don't wait 40 ms between
    server: Gateway

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _read_chunked(self) -> bytes | None:
        """A chunked body (`requests` sends an empty file that way), or None once past the payload limit."""
        body = bytearray()
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            body += self.rfile.read(size)
            self.rfile.readline()
            if len(body) > API_GATEWAY_PAYLOAD_LIMIT:
                return None
        while self.rfile.readline() not in (b"\r\n", b"\n", b""):  # trailer fields
            pass
        return bytes(body)

    def _handle(self) -> None:
        chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        length = int(self.headers.get("content-length") or 0)
        body: bytes | None = None
        if chunked:
            body = self._read_chunked()
        elif length <= API_GATEWAY_PAYLOAD_LIMIT:
            body = self.rfile.read(length) if length else b""
        if body is None:
            self._reply(413, {"content-type": "application/json"}, b'{"message":"Request Entity Too Large"}')
            self.close_connection = True
            return
        path = urlsplit(self.path).path
        if path in self.server.local_routes:
            status, payload = self.server.local_routes[path](self.command, parse_qs(urlsplit(self.path).query))
            self._reply(status, {"content-type": "application/json"}, json.dumps(payload).encode())
            return
        found = match(self.command, path)
        if found is None:
            self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
            return
        route, path_parameters = found
        headers = {key.lower(): value for key, value in self.headers.items()}
        event = build_event(self.command, self.path, headers, body, self.client_address[0])
        event["routeKey"] = route.route_key
        event["requestContext"]["routeKey"] = route.route_key
        if path_parameters:
            event["pathParameters"] = path_parameters
        context = LocalContext(f"trackway-{route.function.value}", event["requestContext"]["requestId"])
        try:
            response = self.server.functions.app(route.function).resolve(event, context)
        except Exception:
            # What API Gateway answers when a function fails outside its own error handling.
            log.exception("%s function failed", route.function.value)
            self._reply(500, {"content-type": "application/json"}, b'{"message":"Internal Server Error"}')
            return
        response_body: str = response.get("body") or ""
        data = base64.b64decode(response_body) if response.get("isBase64Encoded") else response_body.encode()
        reply_headers = {key.lower(): str(value) for key, value in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            reply_headers[name.lower()] = ", ".join(values)
        self._reply(int(response.get("statusCode", 200)), reply_headers, data)

    def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
        self.send_response(status)
        for key, value in headers.items():
            if key not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle
