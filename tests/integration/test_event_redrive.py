"""No event lost through a bus outage longer than the stream's retention, on moto: the publisher marks what
the bus accepted, the stream's records are trimmed unpublished, and redrive puts every pending event on the
bus once, under the event_id it was committed with."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.integration.test_local_eventing import poller
from tests.support.event_capture import ENVIRONMENT, Call
from tests.support.flaky_bus import FlakyBus
from trackway_backend.adapters.dynamo.outbox import DynamoOutboxLedger, OutboxItem, outbox_item
from trackway_backend.adapters.sqs_dead_letters import SqsDeadLetters
from trackway_backend.events import DomainEvent
from trackway_backend.handlers.publisher import publish_stream
from trackway_backend.local.stream_poller import StreamPoller
from trackway_backend.logic.publishing import OutboxPublisher
from trackway_backend.logic.redrive import Redrive


def outbox_ids() -> set[str]:
    return {item.pk.removeprefix("EVENT#") for item in OutboxItem.scan()}


def make_changes(call: Call, artifacts: str, models: int) -> None:
    for n in range(models):
        name = f"model-{n}"
        assert call("POST", "registered-models/create", {"name": name})[0] == 200
        assert call("POST", "model-versions/create", {"name": name, "source": f"{artifacts}/{n}"})[0] == 200
        assert call("POST", "registered-models/alias", {"name": name, "alias": "champion", "version": "1"})[0] == 200


def stream_publisher(bus: FlakyBus, state: Path) -> StreamPoller:
    publisher = OutboxPublisher(bus, sleep=lambda _: None, ledger=DynamoOutboxLedger())
    return poller(bus, state, lambda event: publish_stream(event, publisher))  # type: ignore[arg-type]


def test_what_the_bus_accepts_is_marked_published_and_leaves_the_pending_index(
    backend: tuple[Call, str], tmp_path: Path
) -> None:
    call, artifacts = backend
    make_changes(call, artifacts, 2)
    bus = FlakyBus()
    assert stream_publisher(bus, tmp_path).poll_once()
    assert Counter(bus.accepted) == Counter(dict.fromkeys(outbox_ids(), 1))
    ledger = DynamoOutboxLedger()
    assert ledger.pending(datetime.now(UTC) + timedelta(minutes=1), 100) == []
    for item in OutboxItem.scan():
        assert item.published_at is not None and item.gsi1pk is None
        assert item.expires_at is not None and item.expires_at - datetime.now(UTC) > timedelta(days=13)


@pytest.mark.parametrize("outage", ["down", "reject_all"])
def test_an_outage_longer_than_the_stream_retention_loses_nothing(
    backend: tuple[Call, str], tmp_path: Path, outage: str
) -> None:
    call, artifacts = backend
    bus = FlakyBus()
    setattr(bus, outage, True)
    stream = stream_publisher(bus, tmp_path)
    make_changes(call, artifacts, 4)
    written = outbox_ids()
    stream.poll_once()  # the publisher fails through every retry: the records go to the dead-letter file
    assert bus.accepted == [] and (tmp_path / "publisher-dlq.jsonl").exists()
    stream.trim()  # whatever the stream still held is gone, as after 24 h
    setattr(bus, outage, False)
    assert not stream.poll_once()  # nothing left in the stream to publish them
    ledger = DynamoOutboxLedger()
    assert {event.event_id for event in ledger.pending(datetime.now(UTC), 1000)} == written
    report = Redrive(ledger, bus, sleep=lambda _: None).run(datetime.now(UTC), timedelta(0), limit=5, rounds=100)
    assert (report.pending, report.republished, report.not_accepted) == (len(written), len(written), 0)
    assert Counter(bus.accepted) == Counter(dict.fromkeys(written, 1))
    assert ledger.pending(datetime.now(UTC), 1000) == []
    again = Redrive(ledger, bus, sleep=lambda _: None).run(datetime.now(UTC), timedelta(0), limit=5, rounds=100)
    assert (again.republished, len(bus.accepted)) == (0, len(written))


def test_pending_events_never_expire_and_marking_a_missing_item_creates_nothing(backend: tuple[Call, str]) -> None:
    event = DomainEvent("trackway.registry", "model_version.created", {"name": "iris", "version": "1"})
    outbox_item(event).save()
    item = OutboxItem.get(f"EVENT#{event.event_id}", "#EVENT")
    assert item.expires_at is None and item.published_at is None and item.gsi1pk is not None
    assert DynamoOutboxLedger().mark_published(["no-such-event"]) == 0
    assert outbox_ids() == {event.event_id}


def failure_record(last_arrival: datetime) -> str:
    import json

    stamp = last_arrival.strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps(
        {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 11},
            "version": "1.0",
            "DDBStreamBatchInfo": {
                "shardId": "shardId-00000001573689847184-864758bb",
                "startSequenceNumber": "800000000003126276362",
                "endSequenceNumber": "800000000003126276399",
                "approximateArrivalOfFirstRecord": stamp,
                "approximateArrivalOfLastRecord": stamp,
                "batchSize": 38,
                "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/outbox-test/stream/x",
            },
        }
    )


def test_redrive_clears_the_sqs_pointers_it_resolved_and_keeps_what_is_unreadable(backend: tuple[Call, str]) -> None:
    sqs: Any = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    events = [DomainEvent("trackway.registry", "registered_model.created", {"name": f"m{n}"}) for n in range(3)]
    for event in events:
        outbox_item(event).save()
    sqs.send_message(QueueUrl=url, MessageBody=failure_record(datetime.now(UTC)))
    sqs.send_message(QueueUrl=url, MessageBody="not a failure record")
    bus = FlakyBus()
    report = Redrive(DynamoOutboxLedger(), bus, SqsDeadLetters(url, sqs), sleep=lambda _: None).run(
        datetime.now(UTC) + timedelta(seconds=1), timedelta(0), limit=100
    )
    assert sorted(bus.accepted) == sorted(event.event_id for event in events)
    assert (report.dead_letters_read, report.dead_letters_cleared) == (1, 1)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"  # the unreadable one, kept


def test_a_local_outbox_table_from_before_the_pending_index_gets_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto import mock_aws

    from trackway_backend.local.provision import add_missing_pending_index
    from trackway_backend.settings import TrackingSettings

    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        client: Any = boto3.client("dynamodb", region_name="us-east-1")
        keys = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
        client.create_table(
            TableName=ENVIRONMENT["TRACKWAY_OUTBOX_TABLE"],
            KeySchema=keys,
            AttributeDefinitions=[{"AttributeName": k["AttributeName"], "AttributeType": "S"} for k in keys],
            BillingMode="PAY_PER_REQUEST",
        )
        settings = TrackingSettings.from_env()
        add_missing_pending_index(settings)
        add_missing_pending_index(settings)  # a second start changes nothing
        table = client.describe_table(TableName=ENVIRONMENT["TRACKWAY_OUTBOX_TABLE"])["Table"]
        assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["gsi1"]
