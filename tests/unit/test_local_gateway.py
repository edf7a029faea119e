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


def test_with_local_users_a_request_needs_a_known_token_and_carries_its_principal_as_jwt_claims(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from trackway_backend.local import gateway as gateway_module
    from trackway_backend.local.users import LocalUser, LocalUsers

    seen: list[dict[str, str] | None] = []

    def dispatch(*args: Any) -> tuple[int, dict[str, str], bytes]:
        seen.append(args[5])
        return 200, {"content-type": "application/json"}, b"{}"

    monkeypatch.setattr(gateway_module, "dispatch", dispatch)
    users = LocalUsers({"t-alice": LocalUser("alice", groups=("vision",))})
    gateway = Gateway(RequestGuard.build(), users=users)
    path = "/api/2.0/mlflow/experiments/search"
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer nope"}, {"HTTP_AUTHORIZATION": "t-alice"}):
        status, headers, data = call(gateway, "POST", path, b"{}", **header)
        assert status.startswith("401"), header
        assert json.loads(data)["error_code"] == "UNAUTHENTICATED"
        assert headers["www-authenticate"] == "Bearer"
    assert seen == []
    assert call(gateway, "GET", "/health")[0].startswith("200")
    assert call(gateway, "POST", path, b"{}", HTTP_AUTHORIZATION="Bearer t-alice")[0].startswith("200")
    assert seen[-1] == {"sub": "alice", "groups": "[vision]"}


def test_without_local_users_the_gateway_stays_open_and_adds_no_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    from trackway_backend.local import gateway as gateway_module

    seen: list[dict[str, str] | None] = []
    monkeypatch.setattr(gateway_module, "dispatch", lambda *args: (seen.append(args[5]), (200, {}, b"{}"))[1])
    assert call(Gateway(RequestGuard.build()), "POST", "/api/2.0/mlflow/experiments/search", b"{}")[0].startswith("200")
    assert seen == [None]


def test_dispatch_puts_the_claims_where_api_gateway_s_jwt_authorizer_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from trackway_backend.handlers.http import build_resolver
    from trackway_backend.handlers.identity import actor, principal
    from trackway_backend.local import gateway as gateway_module

    events: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        events.append(event)
        return {"statusCode": 200, "body": "{}"}

    monkeypatch.setattr(gateway_module, "lambda_handler", lambda function: handler)
    claims = {"sub": "alice", "groups": "[vision nlp]"}
    gateway_module.dispatch("POST", "/api/2.0/mlflow/runs/search", {}, b"{}", "127.0.0.1", claims)
    assert events[0]["requestContext"]["authorizer"] == {"jwt": {"claims": claims, "scopes": None}}
    app = build_resolver()
    app.current_event = app._to_proxy_event(events[0])
    assert actor(app) == "alice"
    admin = principal(app, ("ali*",))
    assert admin is not None and admin.admin
    found = principal(app, ())
    assert found is not None and (found.name, found.groups, found.admin) == ("alice", ("vision", "nlp"), False)
