"""Local eventing on moto: registry changes → outbox stream (polled) → publisher → local bus → rule targets,
and the `/_local/events` route."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.support.event_capture import ENVIRONMENT, Call
from trackway_backend.handlers.publisher import publish_stream
from trackway_backend.local.event_log import EventLog
from trackway_backend.local.eventing import LocalEventing
from trackway_backend.local.events_bus import LocalEventBus, load_rules
from trackway_backend.local.stream_poller import StreamPoller
from trackway_backend.logic.publishing import OutboxPublisher


@pytest.fixture
def call(backend: tuple[Call, str]) -> Call:
    return backend[0]


def stream_arn() -> str:
    table = boto3.client("dynamodb", region_name="us-east-1").describe_table(
        TableName=ENVIRONMENT["TRACKWAY_OUTBOX_TABLE"]
    )
    return str(table["Table"]["LatestStreamArn"])


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        self.events.append(event)


def poller(bus: LocalEventBus, state: Path, handler: Any = None) -> StreamPoller:
    publisher = OutboxPublisher(bus, sleep=lambda _: None)
    # moto serves DynamoDB Streams only on the regional endpoint, not on botocore's account-based one.
    streams = boto3.client(
        "dynamodbstreams", region_name="us-east-1", config=Config(account_id_endpoint_mode="disabled")
    )
    return StreamPoller(
        streams,
        stream_arn(),
        handler or (lambda event: publish_stream(event, publisher)),
        state,
        retry_delay=0,
    )


def test_changes_reach_the_bus_its_rule_targets_and_the_events_route(backend: tuple[Call, str], tmp_path: Path) -> None:
    call, artifacts = backend
    deployment, approval = Recorder(), Recorder()
    bus = LocalEventBus(load_rules(), {"deployment": deployment, "approval": approval}, EventLog(tmp_path / "e.jsonl"))
    call("POST", "registered-models/create", {"name": "iris"})
    call("POST", "model-versions/create", {"name": "iris", "source": f"{artifacts}/1"})
    call("POST", "registered-models/alias", {"name": "iris", "alias": "challenger", "version": "1"})
    assert poller(bus, tmp_path).poll_once()
    bus.close()
    types = ["registered_model.created", "model_version.created", "model_version_alias.created"]
    assert [event["detail-type"] for event in bus.log.after(0)[0]] == types
    assert [event["detail-type"] for event in approval.events] == types[1:]  # version + challenger rules
    assert [event["detail-type"] for event in deployment.events] == types[2:]
    status, body = LocalEventing(bus, poller(bus, tmp_path)).events_route("GET", {"after": ["1"]})
    assert (status, [e["detail-type"] for e in body["events"]], body["cursor"]) == (200, types[1:], "3")
    assert LocalEventing(bus, poller(bus, tmp_path)).events_route("GET", {"after": ["x"]})[0] == 400


def test_a_restart_resumes_after_the_checkpoint(call: Call, tmp_path: Path) -> None:
    bus = LocalEventBus({}, {}, EventLog())
    call("POST", "registered-models/create", {"name": "iris"})
    poller(bus, tmp_path).poll_once()
    call("POST", "registered-models/create", {"name": "wine"})
    restarted = poller(bus, tmp_path)
    restarted.poll_once()
    restarted.poll_once()
    assert [event["detail"]["data"]["name"] for event in bus.log.after(0)[0]] == ["iris", "wine"]


def test_records_the_publisher_keeps_failing_go_to_the_dead_letter_file(call: Call, tmp_path: Path) -> None:
    call("POST", "registered-models/create", {"name": "iris"})

    def failing(event: dict[str, Any]) -> dict[str, Any]:
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in event["Records"]]}

    poller(LocalEventBus({}, {}, EventLog()), tmp_path, failing).poll_once()
    [line] = (tmp_path / "publisher-dlq.jsonl").read_text().splitlines()
    assert '"eventName": "INSERT"' in line
