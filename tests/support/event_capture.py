"""Every event type, produced by the real handlers on moto and captured from the outbox as the full
EventBridge events the publisher puts on the bus.

`python -m tests.support.event_capture` rewrites events/samples/ from what the code emits now.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from moto import mock_aws

EVENTS_DIR = Path(__file__).parents[2] / "events"
APIGW_DIR = EVENTS_DIR / "apigw"
API = "/api/2.0/mlflow"
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "TRACKWAY_TRACKING_TABLE": "tracking-test",
    "TRACKWAY_OUTBOX_TABLE": "outbox-test",
    "TRACKWAY_REGISTRY_TABLE": "registry-test",
    "TRACKWAY_ACCESS_TABLE": "access-test",
    # The sample events' principal administers everything: access control has its own tests
    # (tests/integration/test_access_control.py).
    "TRACKWAY_ADMINS": "arn:aws:iam::123456789012:user/ana",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
}
USER_ARN = "arn:aws:iam::123456789012:user/ana"
Call = Callable[..., tuple[int, Any]]


@dataclass
class Context:
    function_name: str = "trackway-registry"
    aws_request_id: str = "test-request"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:trackway-registry"


def api_event(method: str, path: str, body: dict[str, Any] | None, params: dict[str, Any]) -> dict[str, Any]:
    """A real API Gateway HTTP API event from events/apigw, re-targeted, as an IAM-authenticated caller."""
    event: dict[str, Any] = json.loads(
        (APIGW_DIR / ("get_run.json" if method == "GET" else "log_batch.json")).read_text()
    )
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["rawQueryString"] = urlencode(params, doseq=True)
    event["requestContext"]["http"]["method"] = method
    event["routeKey"] = event["requestContext"]["routeKey"] = f"{method} {path}"
    event["requestContext"]["authorizer"] = {"iam": {"userArn": USER_ARN, "accountId": "123456789012"}}
    event["body"] = json.dumps(body) if body is not None else ""
    event.pop("queryStringParameters", None)
    return event


def invoker(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Call:
    def invoke(method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> tuple[int, Any]:
        response = handler(api_event(method, f"{API}/{path}", body, params), Context())
        text = response.get("body") or ""
        try:
            return response["statusCode"], json.loads(text)
        except ValueError:
            return response["statusCode"], text

    return invoke


@contextmanager
def registry_backend() -> Iterator[tuple[Call, Call]]:
    """(registry call, tracking call) against fresh moto tables; the environment must hold ENVIRONMENT."""
    with mock_aws():
        from trackway_backend.adapters.dynamo.access_store import GrantItem
        from trackway_backend.adapters.dynamo.outbox import OutboxItem
        from trackway_backend.adapters.dynamo.registry_items import RegistryItem
        from trackway_backend.adapters.dynamo.tables import create_missing
        from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
        from trackway_backend.handlers import registry, tracking

        registry.function.reset()
        tracking.function.reset()
        registry.configure()
        create_missing(TrackingItem, OutboxItem, RegistryItem, GrantItem)
        try:
            yield invoker(registry.handler), invoker(tracking.handler)
        finally:
            registry.function.reset()
            tracking.function.reset()


def run_artifacts(track: Call, experiment_id: str = "0") -> str:
    """A new run's artifact URI: versions registered from a path below it are bound to that run."""
    status, created = track("POST", "runs/create", {"experiment_id": experiment_id, "run_name": "source"})
    assert status == 200, created
    return str(created["run"]["info"]["artifact_uri"])


def outbox_events() -> list[dict[str, Any]]:
    """The outbox, oldest first, as the EventBridge events the local bus delivers (region us-east-1)."""
    from trackway_backend.adapters.dynamo.outbox import OutboxItem
    from trackway_backend.adapters.dynamo.outbox_stream import event_from_record
    from trackway_backend.local.events_bus import eventbridge_event

    records = [{"eventName": "INSERT", "dynamodb": {"NewImage": item.serialize()}} for item in OutboxItem.scan()]
    events = [event_from_record(record) for record in records]
    return [eventbridge_event(event, "us-east-1") for event in sorted(events, key=lambda e: e.timestamp)]


def every_change(call: Call, track: Call) -> list[tuple[str, list[dict[str, Any]]]]:
    """Make each kind of change; returns, per change, the type it should emit and the events it did emit."""
    _, experiment = track("POST", "experiments/create", {"name": "iris"})
    _, created = track("POST", "runs/create", {"experiment_id": experiment["experiment_id"], "run_name": "rf"})
    run_id = created["run"]["info"]["run_id"]
    _, logged = track(
        "POST",
        "logged-models",
        {"experiment_id": experiment["experiment_id"], "name": "model", "source_run_id": run_id},
    )
    model_id = logged["model"]["info"]["model_id"]
    name = "iris-classifier"
    steps: list[tuple[str, Callable[[], tuple[int, Any]]]] = [
        (
            "run.finished",
            lambda: track(
                "POST", "runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 1_700_000_000_000}
            ),
        ),
        (
            "registered_model.created",
            lambda: call(
                "POST",
                "registered-models/create",
                {"name": name, "tags": [{"key": "team", "value": "vision"}], "description": "Iris species classifier"},
            ),
        ),
        (
            "model_version.created",
            lambda: call(
                "POST",
                "model-versions/create",
                {
                    "name": name,
                    "source": f"models:/{model_id}",
                    "model_id": model_id,
                    "tags": [{"key": "framework", "value": "sklearn"}],
                },
            ),
        ),
        (
            "model_version_tag.set",
            lambda: call(
                "POST", "model-versions/set-tag", {"name": name, "version": "1", "key": "validated", "value": "true"}
            ),
        ),
        (
            "model_version_tag.deleted",
            lambda: call("DELETE", "model-versions/delete-tag", {"name": name, "version": "1", "key": "validated"}),
        ),
        (
            "model_version.created",
            lambda: call(
                "POST",
                "model-versions/create",
                {
                    "name": name,
                    "source": f"models:/{model_id}",
                    "model_id": model_id,
                    "tags": [{"key": "framework", "value": "sklearn"}],
                    "description": "retrained on 2024-06 data",
                },
            ),
        ),
        (
            "model_version_alias.created",
            lambda: call("POST", "registered-models/alias", {"name": name, "alias": "challenger", "version": "2"}),
        ),
        (
            "model_version_alias.created",
            lambda: call("POST", "registered-models/alias", {"name": name, "alias": "challenger", "version": "1"}),
        ),
        (
            "model_version.stage_transitioned",
            lambda: call(
                "POST",
                "model-versions/transition-stage",
                {"name": name, "version": "2", "stage": "Production", "archive_existing_versions": False},
            ),
        ),
        (
            "model_version.stage_transitioned",
            lambda: call(
                "POST",
                "model-versions/transition-stage",
                {"name": name, "version": "1", "stage": "Production", "archive_existing_versions": True},
            ),
        ),
        (
            "model_version_alias.deleted",
            lambda: call("DELETE", "registered-models/alias", {"name": name, "alias": "challenger"}),
        ),
        ("model_version.deleted", lambda: call("DELETE", "model-versions/delete", {"name": name, "version": "1"})),
        ("registered_model.deleted", lambda: call("DELETE", "registered-models/delete", {"name": name})),
    ]
    produced: list[tuple[str, list[dict[str, Any]]]] = []
    seen = {event["detail"]["event_id"] for event in outbox_events()}
    for expected, step in steps:
        status, body = step()
        assert status == 200, (expected, status, body)
        new = [event for event in outbox_events() if event["detail"]["event_id"] not in seen]
        seen |= {event["detail"]["event_id"] for event in new}
        produced.append((expected, new))
    return produced


def write_samples() -> None:
    os.environ.update(ENVIRONMENT)
    with registry_backend() as (call, track):
        produced = every_change(call, track)
    (EVENTS_DIR / "samples").mkdir(exist_ok=True)
    for detail_type, [event] in dict(produced).items():  # the last of each type
        path = EVENTS_DIR / "samples" / f"{detail_type}.json"
        path.write_text(json.dumps(event, indent=2) + "\n")
        print(f"wrote {path.relative_to(EVENTS_DIR.parent)}")


if __name__ == "__main__":
    write_samples()
