"""The local gateway as a WSGI application, and the local stack's command line."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from trackway_backend.local.gateway import API_GATEWAY_PAYLOAD_LIMIT, Gateway
from trackway_backend.local.request_guard import RequestGuard
from trackway_backend.local.server import is_loopback, parse_options


class Unreadable(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("the body was read")


def call(
    gateway: Gateway, method: str, path: str, body: bytes = b"", **environ: Any
) -> tuple[str, dict[str, str], bytes]:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, dict(headers)

    base = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "HTTP_HOST": "127.0.0.1:5000",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "REMOTE_ADDR": "127.0.0.1",
    }
    data = b"".join(gateway({**base, **environ}, start_response))
    return seen["status"], seen["headers"], data


def test_a_declared_body_over_the_payload_limit_gets_413_unread() -> None:
    status, headers, data = call(
        Gateway(RequestGuard.build()),
        "POST",
        "/api/2.0/mlflow/runs/log-batch",
        CONTENT_LENGTH=str(API_GATEWAY_PAYLOAD_LIMIT + 1),
        **{"wsgi.input": Unreadable()},
    )
    assert status.startswith("413")
    message = json.loads(data)["message"]
    assert message.startswith("Request Entity Too Large")
    assert "pip install 'trackway[mlflow]'" in message
    assert headers["content-length"] == str(len(data))


def test_a_chunked_body_over_the_payload_limit_gets_413() -> None:
    body = b" " * (API_GATEWAY_PAYLOAD_LIMIT + 5)
    status, _, _ = call(
        Gateway(RequestGuard.build()), "POST", "/api/2.0/mlflow/runs/log-batch", body, CONTENT_LENGTH=""
    )
    assert status.startswith("413")


def test_an_unknown_route_is_a_json_404() -> None:
    status, headers, data = call(Gateway(RequestGuard.build()), "GET", "/nowhere", CONTENT_TYPE="")
    assert status.startswith("404")
    assert headers["content-type"] == "application/json"
    assert json.loads(data) == {"message": "Not Found"}


def test_a_refused_request_gets_an_mlflow_error_body() -> None:
    status, _, data = call(Gateway(RequestGuard.build()), "GET", "/health", HTTP_HOST="attacker.example")
    assert status.startswith("403")
    assert json.loads(data)["error_code"] == "PERMISSION_DENIED"


def test_the_stack_listens_on_loopback_unless_told_otherwise() -> None:
    options, _ = parse_options([])
    assert options.host == "127.0.0.1"
    assert options.workers >= 2


def test_a_wider_interface_needs_an_explicit_opt_in(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_options(["--host", "0.0.0.0"])
    assert "--allow-remote" in capsys.readouterr().err
    options, _ = parse_options(["--host", "0.0.0.0", "--allow-remote", "--allowed-hosts", "tracker.lan, gpu-1"])
    assert options.allowed_hosts == ("tracker.lan", "gpu-1")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("localhost", True), ("0.0.0.0", False), ("10.1.2.3", False)],
)
def test_loopback_interfaces(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_without_the_ui_the_root_page_says_how_to_get_it() -> None:
    status, headers, data = call(Gateway(RequestGuard.build()), "GET", "/", CONTENT_TYPE="")
    assert status.startswith("200")
    assert headers["content-type"].startswith("text/html")
    assert b"pip install './sdk[ui]'" in data
