"""The publisher: batches of 10, rejected entries retried, nothing lost and nothing put twice under one id."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.support.flaky_bus import FlakyBus
from tests.support.stream_records import domain_events, stream_event, stream_record
from trackway_backend.handlers.publisher import publish_stream
from trackway_backend.logic.publishing import OutboxPublisher


@pytest.fixture
def bus() -> FlakyBus:
    return FlakyBus()


@pytest.fixture
def publisher(bus: FlakyBus) -> OutboxPublisher:
    return OutboxPublisher(bus, attempts=3, sleep=lambda _: None)


def test_events_go_in_order_in_batches_of_ten(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    events = domain_events(25)
    assert publisher.publish(events) is None
    assert [len(request) for request in bus.requests] == [10, 10, 5]
    assert bus.accepted == [event.event_id for event in events]


def test_rejected_entries_are_retried_alone_and_nothing_is_put_twice(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    events = domain_events(10)
    bus.rejections.update({events[2].event_id: 1, events[7].event_id: 2})
    assert publisher.publish(events) is None
    assert bus.requests[1:] == [[events[2].event_id, events[7].event_id], [events[7].event_id]]
    assert sorted(bus.accepted) == sorted(event.event_id for event in events)
    assert len(set(bus.accepted)) == len(bus.accepted)


def test_a_failed_request_is_retried_whole(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    bus.failing_requests = 2
    assert publisher.publish(domain_events(3)) is None
    assert len(bus.accepted) == 3 and len(bus.requests) == 3


def test_what_keeps_failing_is_reported_from_the_first_failure_on(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    events = domain_events(15)
    bus.rejections[events[4].event_id] = 99
    assert publisher.publish(events) == 4
    assert all(event.event_id not in bus.accepted for event in events[10:])  # the next batch is not attempted


def test_stream_batch_reports_the_failed_record_and_all_after_it(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    events = domain_events(15)
    bus.rejections[events[12].event_id] = 99
    event = stream_event(events)
    response = publish_stream(event, publisher)
    failed = [failure["itemIdentifier"] for failure in response["batchItemFailures"]]
    assert failed == [record["dynamodb"]["SequenceNumber"] for record in event["Records"][12:]]


def test_after_a_redelivery_every_event_is_on_the_bus_exactly_once(bus: FlakyBus, publisher: OutboxPublisher) -> None:
    events = domain_events(15)
    bus.rejections[events[3].event_id] = 3  # outlasts the publisher's attempts, not the stream's redelivery
    event = stream_event(events)
    response = publish_stream(event, publisher)
    first_failed = response["batchItemFailures"][0]["itemIdentifier"]
    # Lambda redelivers from the lowest failed sequence number on.
    position = next(i for i, r in enumerate(event["Records"]) if r["dynamodb"]["SequenceNumber"] == first_failed)
    assert position == 3
    assert publish_stream({"Records": event["Records"][position:]}, publisher) == {"batchItemFailures": []}
    assert Counter(bus.accepted) == Counter({e.event_id: 1 for e in events})


def test_removed_records_are_not_events_and_unreadable_ones_are_reported(
    bus: FlakyBus, publisher: OutboxPublisher
) -> None:
    [first, second] = domain_events(2)
    broken = stream_record(second, 3)
    del broken["dynamodb"]["NewImage"]["detail"]
    event = {"Records": [stream_record(first, 1, "REMOVE"), stream_record(first, 2), broken]}
    response = publish_stream(event, publisher)
    assert response == {"batchItemFailures": [{"itemIdentifier": f"{3:021d}"}]}
    assert bus.accepted == [first.event_id]
