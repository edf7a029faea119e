"""The local gateway's request guard: Host and Origin allow-lists, JSON-only bodies on JSON routes."""

from __future__ import annotations

import pytest

from trackway_backend.local.request_guard import RequestGuard, host_name

API = "/api/2.0/mlflow/experiments/create"
JSON = {"host": "127.0.0.1:5000", "content-type": "application/json", "content-length": "2"}


@pytest.mark.parametrize(
    ("value", "name"),
    [("127.0.0.1:5000", "127.0.0.1"), ("LOCALHOST", "localhost"), ("[::1]:5000", "::1"), ("::1", "::1")],
)
def test_host_names_lose_port_brackets_and_case(value: str, name: str) -> None:
    assert host_name(value) == name


@pytest.mark.parametrize("host", ["127.0.0.1:5000", "localhost:5000", "[::1]:5000", "localhost"])
def test_loopback_hosts_are_served(host: str) -> None:
    assert RequestGuard.build().refusal("POST", API, {**JSON, "host": host}) is None


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:5000", "127.0.0.1.nip.io:5000", ""])
def test_other_hosts_are_refused_as_dns_rebinding(host: str) -> None:
    refusal = RequestGuard.build().refusal("GET", "/health", {"host": host})
    assert refusal is not None
    assert (refusal.status, refusal.error_code) == (403, "PERMISSION_DENIED")
    assert "--allowed-hosts" in refusal.message


def test_a_request_without_host_is_refused() -> None:
    assert RequestGuard.build().refusal("GET", "/health", {}) is not None


def test_configured_hosts_are_served() -> None:
    guard = RequestGuard.build(["tracker.lan"])
    assert guard.refusal("GET", "/health", {"host": "tracker.lan:5000"}) is None


@pytest.mark.parametrize("origin", ["http://127.0.0.1:5000", "http://localhost:3000", "https://localhost"])
def test_pages_served_from_this_machine_may_call(origin: str) -> None:
    assert RequestGuard.build().refusal("POST", API, {**JSON, "origin": origin}) is None


@pytest.mark.parametrize("origin", ["https://attacker.example", "null", "file://", "http://127.0.0.1.attacker.example"])
def test_foreign_origins_are_refused(origin: str) -> None:
    refusal = RequestGuard.build().refusal("POST", API, {**JSON, "origin": origin})
    assert refusal is not None
    assert (refusal.status, refusal.error_code) == (403, "PERMISSION_DENIED")


def test_configured_origins_may_call() -> None:
    guard = RequestGuard.build(origins=["https://notebook.example.com/"])
    assert guard.refusal("POST", API, {**JSON, "origin": "https://notebook.example.com"}) is None


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded", "multipart/form-data"],
)
def test_bodies_a_page_can_send_without_preflight_are_refused_on_json_routes(content_type: str) -> None:
    refusal = RequestGuard.build().refusal("POST", API, {**JSON, "content-type": content_type})
    assert refusal is not None
    assert (refusal.status, refusal.error_code) == (415, "BAD_REQUEST")
    assert "application/json" in refusal.message


def test_a_json_route_body_without_a_content_type_is_refused() -> None:
    headers = {"host": "localhost", "content-length": "12"}
    assert RequestGuard.build().refusal("DELETE", API, headers) is not None


@pytest.mark.parametrize("content_type", ["application/json", "application/json; charset=utf-8", "application/x+json"])
def test_json_bodies_are_served(content_type: str) -> None:
    assert RequestGuard.build().refusal("POST", API, {**JSON, "content-type": content_type}) is None


def test_bodiless_requests_need_no_content_type() -> None:
    assert RequestGuard.build().refusal("POST", API, {"host": "localhost", "content-length": "0"}) is None
    assert RequestGuard.build().refusal("GET", "/api/2.0/mlflow/runs/get", {"host": "localhost"}) is None


def test_artifact_uploads_take_any_bytes() -> None:
    headers = {"host": "localhost", "content-type": "text/plain", "content-length": "5"}
    assert (
        RequestGuard.build().refusal("PUT", "/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a.txt", headers) is None
    )


def test_scoring_takes_csv_but_not_what_a_form_sends() -> None:
    guard = RequestGuard.build()
    path = "/serving/m/invocations"
    assert guard.refusal("POST", path, {"host": "localhost", "content-type": "text/csv", "content-length": "3"}) is None
    assert guard.refusal("POST", path, {"host": "localhost", "content-type": "text/plain", "content-length": "3"})
