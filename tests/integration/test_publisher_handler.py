"""The publisher Lambda on moto: outbox stream records in, EventBridge events out (read back through an SQS
target of a rule on the bus), with EventBridge rejecting part of a batch."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest
from moto import mock_aws

from tests.integration.conftest import Context
from tests.support.stream_records import stream_event
from trackway_backend.adapters.eventbridge import EventBridgeBus, events_client
from trackway_backend.events import DomainEvent
from trackway_backend.handlers import publisher
from trackway_backend.logic.publishing import OutboxPublisher

EVENTS_DIR = Path(__file__).parents[2] / "events"
SAMPLES = [json.loads(p.read_text()) for p in sorted((EVENTS_DIR / "samples").glob("*.json"))]


def as_domain_event(sample: dict[str, Any]) -> DomainEvent:
    detail = sample["detail"]
    return DomainEvent(
        sample["source"],
        sample["detail-type"],
        detail["data"],
        detail["actor"],
        detail["event_id"],
        detail["timestamp"],
    )


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A bus named "trackway" whose one rule sends every trackway event to an SQS queue."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "TRACKWAY_EVENT_BUS": "trackway",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        events_client.cache_clear()
        publisher._publisher.cache_clear()
        sqs = boto3.client("sqs", region_name="us-east-1")
        url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        bridge = boto3.client("events", region_name="us-east-1")
        bridge.create_event_bus(Name="trackway")
        bridge.put_rule(
            Name="all", EventBusName="trackway", EventPattern=json.dumps({"source": [{"prefix": "trackway."}]})
        )
        bridge.put_targets(Rule="all", EventBusName="trackway", Targets=[{"Id": "q", "Arn": arn}])
        yield url
        events_client.cache_clear()
        publisher._publisher.cache_clear()


def received(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    messages: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        messages += [json.loads(message["Body"]) for message in batch]
        sqs.delete_message_batch(
            QueueUrl=url, Entries=[{"Id": m["MessageId"], "ReceiptHandle": m["ReceiptHandle"]} for m in batch]
        )
    return messages


def test_the_handler_puts_every_sample_on_the_bus_in_its_schema(queue: str) -> None:
    response = publisher.handler(stream_event([as_domain_event(sample) for sample in SAMPLES]), Context())
    assert response == {"batchItemFailures": []}
    delivered = received(queue)
    assert sorted(e["detail"]["event_id"] for e in delivered) == sorted(s["detail"]["event_id"] for s in SAMPLES)
    for event in delivered:
        event.setdefault("account", "123456789012")  # moto's SQS target drops it; EventBridge always sends it
        schema = json.loads((EVENTS_DIR / "schemas" / f"{event['detail-type']}.json").read_text())
        jsonschema.Draft202012Validator(schema).validate(event)


class RejectingEvents:
    """EventBridge that rejects chosen entries (by event_id) a number of times, as PutEvents does under
    throttling: HTTP 200, FailedEntryCount > 0, an ErrorCode on the failed entries."""

    def __init__(self, client: Any, rejections: dict[str, int]) -> None:
        self._client = client
        self.rejections = Counter(rejections)

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        results: list[dict[str, Any] | None] = []
        accepted = []
        for entry in Entries:
            event_id = json.loads(entry["Detail"])["event_id"]
            if self.rejections[event_id] > 0:
                self.rejections[event_id] -= 1
                results.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"})
            else:
                results.append(None)
                accepted.append(entry)
        real = iter(self._client.put_events(Entries=accepted)["Entries"] if accepted else [])
        entries = [result or next(real) for result in results]
        return {"FailedEntryCount": sum("ErrorCode" in entry for entry in entries), "Entries": entries}


def test_rejected_entries_are_retried_and_delivered_exactly_once(queue: str) -> None:
    events = [as_domain_event(sample) for sample in SAMPLES] * 2  # 20 records: two PutEvents batches
    events = [
        DomainEvent(e.source, e.detail_type, e.data, e.actor, f"{n:032x}", e.timestamp) for n, e in enumerate(events)
    ]
    client = RejectingEvents(
        boto3.client("events", region_name="us-east-1"),
        {events[1].event_id: 1, events[5].event_id: 2, events[14].event_id: 1},
    )
    outbox = OutboxPublisher(EventBridgeBus("trackway", client), sleep=lambda _: None)
    assert publisher.publish_stream(stream_event(events), outbox) == {"batchItemFailures": []}
    assert Counter(e["detail"]["event_id"] for e in received(queue)) == Counter({e.event_id: 1 for e in events})


def test_an_event_the_bus_keeps_rejecting_is_redelivered_not_lost(queue: str) -> None:
    events = [as_domain_event(sample) for sample in SAMPLES]
    client = RejectingEvents(boto3.client("events", region_name="us-east-1"), {events[6].event_id: 5})
    outbox = OutboxPublisher(EventBridgeBus("trackway", client), sleep=lambda _: None)
    stream = stream_event(events)
    failures = publisher.publish_stream(stream, outbox)["batchItemFailures"]
    assert [f["itemIdentifier"] for f in failures] == [r["dynamodb"]["SequenceNumber"] for r in stream["Records"][6:]]
    assert publisher.publish_stream({"Records": stream["Records"][6:]}, outbox) == {"batchItemFailures": []}
    assert Counter(e["detail"]["event_id"] for e in received(queue)) == Counter({e.event_id: 1 for e in events})


def test_the_redrive_function_republishes_pending_outbox_events_once_and_clears_resolved_dead_letters(
    queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from tests.integration.test_event_redrive import failure_record
    from trackway_backend.adapters.dynamo.outbox import OutboxItem, outbox_item
    from trackway_backend.adapters.dynamo.tables import bind, create_missing
    from trackway_backend.adapters.sqs_dead_letters import sqs_client
    from trackway_backend.handlers import redrive
    from trackway_backend.settings import RedriveSettings

    sqs = boto3.client("sqs", region_name="us-east-1")
    dlq = sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=dlq, MessageBody=failure_record(datetime.now(UTC)))
    monkeypatch.setenv("TRACKWAY_OUTBOX_TABLE", "outbox-redrive")
    monkeypatch.setenv("TRACKWAY_PUBLISHER_DLQ_URL", dlq)
    bind(OutboxItem, "outbox-redrive", RedriveSettings.from_env())
    create_missing(OutboxItem)
    events = [as_domain_event(sample) for sample in SAMPLES]
    for event in events:
        outbox_item(event).save()  # pending: the stream's records of these are long gone
    redrive._configured.cache_clear()
    sqs_client.cache_clear()
    try:
        report = redrive.handler({"older_than_seconds": 0}, Context())
        assert report["republished"] == report["pending"] == len(events)
        assert (report["dead_letters_read"], report["dead_letters_cleared"]) == (1, 1)
        scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
        assert redrive.handler(scheduled, Context())["pending"] == 0  # all published by the first run
        assert redrive.handler({"older_than_seconds": 0}, Context())["republished"] == 0
        assert redrive.handler({"limit": 0}, Context())["error_code"] == "INVALID_PARAMETER_VALUE"
    finally:
        redrive._configured.cache_clear()
        sqs_client.cache_clear()
    assert Counter(e["detail"]["event_id"] for e in received(queue)) == Counter({e.event_id: 1 for e in events})
    assert all(item.published_at is not None for item in OutboxItem.scan())
