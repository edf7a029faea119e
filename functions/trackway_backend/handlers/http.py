"""Shared HTTP plumbing of the API functions: the resolver, error mapping and request decoding.

Every domain error becomes MLflow's `{error_code, message}` here, and only here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar, cast
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext

from trackway_backend.errors import HTTP_STATUS, BadRequest, ErrorCode, TrackwayError

logger = Logger(service="trackway")
S = TypeVar("S")


class ApiFunction(Generic[S]):
    """A Lambda entry point: `configure()` once per container, a resolver built once, then every event."""

    def __init__(self, configure: Callable[[], S], build_app: Callable[[S], APIGatewayHttpResolver]) -> None:
        self._configure, self._build_app = configure, build_app
        self._app: APIGatewayHttpResolver | None = None
        self.handler = logger.inject_lambda_context(self._resolve)

    def _resolve(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if self._app is None:
            self._app = self._build_app(self._configure())
        return self._app.resolve(event, context)

    def reset(self) -> None:
        """Forget the configured resolver (tests rebind tables between cases)."""
        self._app = None


class EventScopedResolver(APIGatewayHttpResolver):
    """A resolver whose current event and route context belong to the calling thread.

    Powertools keeps the current event on the router *class* (`BaseRouter.current_event`), which is sound only
    while one process handles one event at a time, as Lambda guarantees. Code that resolves events on
    several threads (tests, embedding) would otherwise read another request's event after any I/O call. Here
    every read of `current_event` and `context`, by Powertools' routing and by our routes, sees the event that
    this thread is resolving.
    """

    _scope = threading.local()

    @property  # type: ignore[override]
    def current_event(self) -> APIGatewayProxyEventV2:
        event: APIGatewayProxyEventV2 = self._scope.event
        return event

    @current_event.setter
    def current_event(self, event: APIGatewayProxyEventV2) -> None:
        self._scope.event = event

    @property  # type: ignore[override]
    def context(self) -> dict[str, Any]:
        contexts: dict[int, dict[str, Any]] = self._scope.__dict__.setdefault("contexts", {})
        return contexts.setdefault(id(self), {})

    @context.setter
    def context(self, value: dict[str, Any]) -> None:
        self._scope.__dict__.setdefault("contexts", {})[id(self)] = value

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        self.current_event = cast(APIGatewayProxyEventV2, self._to_proxy_event(cast(dict[str, Any], event)))
        return super().resolve(event, context)


def error_response(code: ErrorCode, message: str) -> Response[str]:
    return Response(
        status_code=HTTP_STATUS[code],
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error_code": code.value, "message": message}),
    )


def build_resolver() -> APIGatewayHttpResolver:
    """A resolver whose errors all come out in MLflow's format, never as a traceback."""
    app = EventScopedResolver(strip_prefixes=None)

    @app.exception_handler(TrackwayError)
    def domain_error(error: TrackwayError) -> Response[str]:
        if error.retry_after is not None:
            logger.warning("request shed; client told to retry", extra={"error_code": error.code.value})
        elif error.http_status >= 500:
            logger.exception("request failed", extra={"error_code": error.code.value})
        response = error_response(error.code, error.message)
        if error.retry_after is not None:
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.not_found
    def not_found(_: NotFoundError) -> Response[str]:
        event = app.current_event
        return error_response(ErrorCode.ENDPOINT_NOT_FOUND, f"No route for {event.http_method} {event.path}")

    @app.exception_handler(Exception)
    def unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(ErrorCode.INTERNAL_ERROR, f"Internal error: {type(error).__name__}")

    return app


def text_body(app: APIGatewayHttpResolver) -> str:
    """The request body as text; a body that is not UTF-8 (or not the base64 it claims to be) is 400."""
    try:
        return app.current_event.decoded_body or ""
    except ValueError:  # UnicodeDecodeError, binascii.Error
        raise BadRequest("Request body is not valid UTF-8 text") from None


def json_body(app: APIGatewayHttpResolver) -> dict[str, Any]:
    """The request's JSON object; an empty body is `{}`, anything else that is not an object is 400."""
    raw = text_body(app)
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise BadRequest("Request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("Request body must be a JSON object")
    return body


def query(app: APIGatewayHttpResolver, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """Query parameters from the raw query string, so repeated keys (`run_ids=a&run_ids=b`) survive."""
    parsed = parse_qs(app.current_event.raw_query_string or "", keep_blank_values=True)
    return {key: values if key in lists else values[-1] for key, values in parsed.items()}


def request_data(app: APIGatewayHttpResolver, lists: tuple[str, ...] = ()) -> dict[str, Any]:
    """A GET's query parameters, or any other method's JSON body (MLflow sends JSON even on DELETE)."""
    if app.current_event.http_method == "GET":
        return query(app, lists)
    return json_body(app)


def raw_body_size(app: APIGatewayHttpResolver) -> int:
    body = app.current_event.body or ""
    return len(body) * 3 // 4 if app.current_event.is_base64_encoded else len(body.encode())
