"""A minimal request/response pair over WSGI, so the UI server needs no web framework."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
_MAX_BODY = 16 * 1024 * 1024


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_environ(cls, environ: Environ) -> Request:
        headers = {
            key[5:].replace("_", "-").lower(): str(value) for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = str(environ["CONTENT_TYPE"])
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(min(length, _MAX_BODY)) if length > 0 else b""
        path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) or "/"
        # PEP 3333 hands PATH_INFO over as latin-1 decoded bytes; the URL itself was UTF-8.
        path = path.encode("latin-1").decode("utf-8", errors="replace")
        return cls(
            str(environ.get("REQUEST_METHOD", "GET")).upper(), path, str(environ.get("QUERY_STRING", "")), headers, body
        )

    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)

    def param(self, name: str, default: str = "") -> str:
        values = self.params().get(name)
        return values[0] if values else default

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            return {}
        parsed = json.loads(self.body)
        if not isinstance(parsed, dict):
            raise ValueError("the request body must be a JSON object")
        return parsed


@dataclass
class Response:
    status: int
    body: bytes | Iterator[bytes] = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, start_response: StartResponse) -> Iterable[bytes]:
        try:
            reason = HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Unknown"
        headers = list(self.headers)
        if isinstance(self.body, bytes) and not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(self.body))))
        start_response(f"{self.status} {reason}", headers)
        return [self.body] if isinstance(self.body, bytes) else self.body


def json_response(payload: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(payload).encode(), [("Content-Type", "application/json")])


def error_response(status: int, code: str, message: str) -> Response:
    return json_response({"error_code": code, "message": message}, status)
