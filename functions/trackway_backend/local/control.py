"""The supervisor's own routes (`/_local/...`, e.g. the event log), on a private loopback port.

The API workers forward `/_local/` requests here: the event log and its long polls live in the supervisor,
which publishes the events, and a long poll holds a thread here rather than an API worker process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LocalRoute = Callable[[str, dict[str, list[str]]], tuple[int, dict[str, Any]]]


class ControlServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, routes: dict[str, LocalRoute]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.routes = routes
        self._thread = threading.Thread(target=self.serve_forever, name="trackway-control", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> ControlServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ControlServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        route = self.server.routes.get(parts.path)
        status, payload = (
            (404, {"message": "Not Found"}) if route is None else route(self.command, parse_qs(parts.query))
        )
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = _handle
