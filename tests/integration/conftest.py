"""Handlers in process on moto, fed real API Gateway HTTP API (payload 2.0) events from events/apigw/."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from moto import mock_aws

from tests.support.event_capture import ENVIRONMENT, registry_backend, run_artifacts
from trackway_backend.handlers import tracking

SAMPLES = Path(__file__).parents[2] / "events" / "apigw"


@dataclass
class Context:
    function_name: str = "trackway-tracking"
    aws_request_id: str = "test-request"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:trackway-tracking"


def api_event(method: str, path: str, body: dict[str, Any] | None = None, params: dict[str, Any] | None = None):
    """A real API Gateway event from events/apigw, re-targeted at `method path`."""
    event = json.loads((SAMPLES / ("get_run.json" if method == "GET" else "log_batch.json")).read_text())
    query = urlencode(params or {}, doseq=True)
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = query
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["body"] = json.dumps(body) if body is not None else ""
    event.pop("queryStringParameters", None)
    return event


Call = Callable[..., tuple[int, Any]]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield


@pytest.fixture
def call(aws: None) -> Iterator[Call]:
    """Invoke the tracking Lambda entry point; returns (status, decoded body)."""
    from trackway_backend.adapters.dynamo.access_store import GrantItem
    from trackway_backend.adapters.dynamo.outbox import OutboxItem
    from trackway_backend.adapters.dynamo.tables import bind, bind_tracking, create_missing
    from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
    from trackway_backend.settings import TrackingSettings

    settings = TrackingSettings.from_env()
    bind_tracking(settings.tracking_table, settings.outbox_table, settings)
    bind(GrantItem, settings.access_table, settings)
    create_missing(TrackingItem, OutboxItem, GrantItem)
    tracking.function.reset()

    def invoke(method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> tuple[int, Any]:
        response = tracking.handler(api_event(method, path, body, params), Context())
        text = response.get("body") or ""
        try:
            return response["statusCode"], json.loads(text)
        except ValueError:
            return response["statusCode"], text

    yield invoke
    tracking.function.reset()


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Call, str]]:
    """The registry (on fresh moto tables) and a run's artifact URI to register versions from."""
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    with registry_backend() as (registry_call, track):
        yield registry_call, run_artifacts(track)
