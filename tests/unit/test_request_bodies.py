"""Bodies the API contract fuzzing sent that once reached a handler as a 500: each is a 400 MLflow error now."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trackway_backend.handlers.http import build_resolver, json_body, text_body
from trackway_backend.local.gateway import LocalContext, build_event

NOT_UTF8 = b"\xe4\xcb\xbb\x1bW\xfa\xfe\xe9z7"  # what schemathesis sent to log-batch (Test Case oPwKIQ)


def _resolve(body: bytes, content_type: str) -> dict[str, Any]:
    app = build_resolver()

    @app.post("/json")
    def as_json() -> dict[str, Any]:
        return {"body": json_body(app)}

    @app.post("/text")
    def as_text() -> dict[str, Any]:
        return {"body": text_body(app)}

    answers = {}
    for path in ("/json", "/text"):
        headers = {"host": "localhost", "content-type": content_type}
        response = app.resolve(build_event("POST", path, headers, body, "127.0.0.1"), LocalContext("test", path))
        answers[path] = (response["statusCode"], json.loads(response["body"]))
    return answers


@pytest.mark.parametrize("content_type", ["application/json", "text/csv", "application/octet-stream"])
def test_a_body_that_is_not_utf8_is_a_400_not_a_500(content_type: str) -> None:
    for status, body in _resolve(NOT_UTF8, content_type).values():
        assert status == 400
        assert body == {"error_code": "BAD_REQUEST", "message": "Request body is not valid UTF-8 text"}


def test_a_utf8_body_still_reads() -> None:
    answers = _resolve(json.dumps({"name": "é"}).encode(), "application/json")
    assert answers["/json"] == (200, {"body": {"name": "é"}})
    assert answers["/text"] == (200, {"body": '{"name": "\\u00e9"}'})
