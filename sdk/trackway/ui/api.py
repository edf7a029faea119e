"""JSON calls to the trackway API through a Transport, for the parts of the UI server that compose answers
(GraphQL, artifact listing, downloads) instead of forwarding one request."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from trackway.query import QueryParams, canonical_query, query_pairs
from trackway.ui.transport import Reply, Transport

JSON = dict[str, Any]
JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


class ApiError(Exception):
    """An error answer of the API, with MLflow's error code when it gave one."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message

    def body(self) -> bytes:
        return json.dumps({"error_code": self.code, "message": self.message}).encode()


def error_of(reply: Reply) -> ApiError:
    try:
        parsed = json.loads(reply.body or b"{}")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and "error_code" in parsed:
        return ApiError(reply.status, str(parsed["error_code"]), str(parsed.get("message", "")))
    text = reply.body[:300].decode(errors="replace")
    return ApiError(reply.status, "INTERNAL_ERROR" if reply.status >= 500 else "BAD_REQUEST", text)


class Api:
    """`get`/`post` return the JSON object of a 2xx answer and raise ApiError otherwise."""

    def __init__(self, transport: Transport):
        self.transport = transport

    def send(
        self, method: str, path: str, params: QueryParams | None = None, body: Mapping[str, Any] | None = None
    ) -> Reply:
        query = canonical_query(query_pairs(params)) if params else ""
        data = json.dumps(body).encode() if body is not None else b""
        headers = JSON_HEADERS if body is not None else {"Accept": "application/json"}
        return self.transport(method, path, query, headers, data)

    def call(
        self, method: str, path: str, params: QueryParams | None = None, body: Mapping[str, Any] | None = None
    ) -> JSON:
        reply = self.send(method, path, params, body)
        if reply.status >= 400:
            raise error_of(reply)
        if not reply.body.strip():
            return {}
        parsed = json.loads(reply.body)
        return parsed if isinstance(parsed, dict) else {}

    def get(self, route: str, /, **params: Any) -> JSON:
        return self.call("GET", route, params)

    def post(self, path: str, body: Mapping[str, Any]) -> JSON:
        return self.call("POST", path, None, body)
