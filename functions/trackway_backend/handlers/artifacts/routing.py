"""Registering the artifacts routes straight from the route table, greedy `{path+}` included.

Powertools turns `<name>` into a group that never matches `/`, so a greedy route is registered with the
table's own resolver rule and its path parameter is read back through the table's pattern. A route that
is not in the table cannot be registered at all.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.http import raw_body_size
from trackway_backend.routes import Function, Route, routes_for

R = TypeVar("R")


def _route(method: str, path: str) -> Route:
    for route in routes_for(Function.ARTIFACTS):
        if route.method == method and route.path == path:
            return route
    raise ValueError(f"{method} {path} is not an artifacts route in routes.py")


def path_route(
    app: APIGatewayHttpResolver, method: str, path: str
) -> Callable[[Callable[[str], R]], Callable[[str], R]]:
    """Register `func(path)` for a table route ending in `{path+}`; `path` arrives percent-decoded once."""
    route = _route(method, path)

    def register(func: Callable[[str], R]) -> Callable[[str], R]:
        def call() -> R:
            return func(unquote(route.params(app.current_event.path)["path"]))

        app.route(route.resolver_path, route.method)(call)
        return func

    return register


def declared_length(app: APIGatewayHttpResolver) -> int:
    """The body's size from the Content-Length header, without decoding the body.

    A chunked request has no such header; then the size is measured on the event's body string
    (API Gateway has already capped it at 10 MB), still without decoding it.
    """
    value = app.current_event.headers.get("content-length")
    if value is not None and value.strip().isdigit():
        return int(value)
    return raw_body_size(app)


def body_bytes(app: APIGatewayHttpResolver) -> bytes:
    """The request body as bytes, read from the event before the route's first I/O call."""
    event: Any = app.current_event
    body: str = event.body or ""
    return base64.b64decode(body) if event.is_base64_encoded else body.encode()
