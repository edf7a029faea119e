"""HttpTransport: what reaches the API over HTTP (auth, JSON, no redirect following, stage prefixes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from trackway.auth import BearerAuth
from trackway.ui.transport import HttpTransport


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": dict(self.headers),
                "body": self.rfile.read(length) if length else b"",
            }
        )
        if self.path.startswith("/prod/api/2.0/mlflow-artifacts/artifacts/"):
            self.send_response(302)
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def server() -> Iterator[str]:
    _Recorder.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/prod"
    httpd.shutdown()
    httpd.server_close()


def test_signed_json_call_under_a_stage_prefix(server: str) -> None:
    transport = HttpTransport(server, BearerAuth("tok"))
    reply = transport("POST", "/api/2.0/mlflow/runs/search", "", {"Content-Type": "application/json"}, b'{"a": 1}')
    assert (reply.status, reply.body, reply.header("content-type")) == (200, b'{"ok": true}', "application/json")
    seen = _Recorder.seen[-1]
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/prod/api/2.0/mlflow/runs/search", b'{"a": 1}')
    assert seen["headers"]["Authorization"] == "Bearer tok"
    assert seen["headers"]["Content-Type"] == "application/json"


def test_query_is_sent_as_given_and_redirects_come_back(server: str) -> None:
    transport = HttpTransport(server)
    transport("GET", "/api/2.0/mlflow/experiments/search", "filter=name%20LIKE%20%27a%25%27", {}, b"")
    assert _Recorder.seen[-1]["path"] == "/prod/api/2.0/mlflow/experiments/search?filter=name%20LIKE%20%27a%25%27"
    assert "Authorization" not in _Recorder.seen[-1]["headers"]
    reply = transport("GET", "/api/2.0/mlflow-artifacts/artifacts/1/r/a b.txt", "", {}, b"")
    assert reply.status == 302 and reply.header("Location") == "http://127.0.0.1:9/elsewhere"
    assert _Recorder.seen[-1]["path"] == "/prod/api/2.0/mlflow-artifacts/artifacts/1/r/a%20b.txt"
