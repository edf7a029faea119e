"""The redrive sweep on in-memory doubles: pending events republished once each, in commit order, under their
own event_id; a bus that is still down leaves them pending; dead-letter pointers cleared only when resolved."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest

from tests.support.flaky_bus import FlakyBus
from tests.support.stream_records import domain_events
from trackway_backend.events import DomainEvent
from trackway_backend.handlers.redrive import RedriveRequest, parse_request
from trackway_backend.local.event_log import EventLog
from trackway_backend.local.eventing import (
    BUS_FAULT_ROUTE,
    STREAM_FAULT_ROUTE,
    TRIM_FAULT_ROUTE,
    LocalEventing,
    SwitchableBus,
)
from trackway_backend.local.events_bus import LocalEventBus
from trackway_backend.local.stream_poller import StreamPoller
from trackway_backend.logic.publishing import OutboxPublisher
from trackway_backend.logic.redrive import Redrive
from trackway_backend.ports import DeadLetter, DeadLetters, OutboxLedger

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def stamp(instant: datetime) -> str:
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MemoryLedger(OutboxLedger):
    """The outbox's pending set in memory; `failing_marks` makes the next marks raise."""

    def __init__(self, events: Sequence[DomainEvent] = ()) -> None:
        self.events = {event.event_id: event for event in events}
        self.published: set[str] = set()
        self.failing_marks = 0

    def mark_published(self, event_ids: Sequence[str], now: datetime | None = None) -> int:
        if self.failing_marks:
            self.failing_marks -= 1
            raise ConnectionError("table unreachable")
        fresh = [event_id for event_id in event_ids if event_id in self.events and event_id not in self.published]
        self.published.update(fresh)
        return len(fresh)

    def pending(self, written_before: datetime, limit: int) -> list[DomainEvent]:
        cutoff = stamp(written_before)
        waiting = [e for e in self.events.values() if e.event_id not in self.published and e.timestamp < cutoff]
        return sorted(waiting, key=lambda e: (e.timestamp, e.event_id))[:limit]


class MemoryDeadLetters(DeadLetters):
    def __init__(self, letters: Sequence[DeadLetter]) -> None:
        self.queue = list(letters)
        self.deleted: list[DeadLetter] = []

    def receive(self, max_messages: int) -> list[DeadLetter]:
        taken, self.queue = self.queue[:max_messages], self.queue[max_messages:]
        return taken

    def delete(self, letters: Sequence[DeadLetter]) -> None:
        self.deleted += letters


def written(count: int, at: datetime) -> list[DomainEvent]:
    return [
        DomainEvent(e.source, e.detail_type, e.data, event_id=e.event_id, timestamp=stamp(at + timedelta(seconds=n)))
        for n, e in enumerate(domain_events(count))
    ]


def letter(last_arrival: datetime) -> DeadLetter:
    return DeadLetter("r", "shardId-1", "100", "199", last_arrival - timedelta(seconds=5), last_arrival, 100)


def test_pending_events_are_republished_once_in_commit_order_and_marked() -> None:
    events = written(25, NOW - timedelta(hours=30))
    ledger, bus = MemoryLedger(events), FlakyBus()
    report = Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(minutes=15), limit=10, rounds=5)
    assert bus.accepted == [event.event_id for event in events]
    assert ledger.published == set(bus.accepted)
    assert (report.pending, report.republished, report.not_accepted) == (25, 25, 0)
    again = Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(minutes=15), limit=10, rounds=5)
    assert (again.pending, len(bus.accepted)) == (0, 25)


def test_events_younger_than_the_threshold_are_left_to_the_stream() -> None:
    old, young = written(3, NOW - timedelta(hours=1)), written(2, NOW - timedelta(minutes=5))
    ledger, bus = MemoryLedger(old + young), FlakyBus()
    Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(minutes=15), limit=100)
    assert bus.accepted == [event.event_id for event in old]


@pytest.mark.parametrize("fault", ["down", "reject_all"])
def test_a_bus_still_down_leaves_every_event_pending(fault: str) -> None:
    events = written(12, NOW - timedelta(days=2))
    ledger, bus = MemoryLedger(events), FlakyBus()
    setattr(bus, fault, True)
    report = Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert (report.republished, report.not_accepted, ledger.published) == (0, 12, set())
    setattr(bus, fault, False)
    Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert Counter(bus.accepted) == Counter({event.event_id: 1 for event in events})


def test_a_partly_rejected_batch_republishes_up_to_the_rejection_and_the_rest_next_time() -> None:
    events = written(10, NOW - timedelta(hours=2))
    ledger, bus = MemoryLedger(events), FlakyBus()
    bus.rejections[events[4].event_id] = 99
    report = Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert report.republished == 4
    assert ledger.published == {event.event_id for event in events[:4]} | {e.event_id for e in events[5:]}
    bus.rejections.clear()
    Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert Counter(bus.accepted) == Counter({event.event_id: 1 for event in events})


def test_a_mark_that_fails_costs_a_redelivery_under_the_same_id_never_a_loss() -> None:
    events = written(3, NOW - timedelta(hours=2))
    ledger, bus = MemoryLedger(events), FlakyBus()
    ledger.failing_marks = 1
    publisher = OutboxPublisher(bus, sleep=lambda _: None, ledger=ledger)
    assert publisher.publish(events) is None
    assert ledger.published == set()
    Redrive(ledger, bus, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert Counter(bus.accepted) == Counter({event.event_id: 2 for event in events})
    assert ledger.published == {event.event_id for event in events}


def test_dead_letters_are_cleared_only_once_their_events_are_on_the_bus() -> None:
    early, late = written(4, NOW - timedelta(hours=30)), written(4, NOW - timedelta(hours=3))
    ledger, bus = MemoryLedger(early + late), FlakyBus()
    resolved, unresolved = letter(NOW - timedelta(hours=29)), letter(NOW - timedelta(hours=2))
    bus.rejections[late[0].event_id] = 99
    letters = MemoryDeadLetters([resolved, unresolved])
    report = Redrive(ledger, bus, letters, sleep=lambda _: None).run(NOW, timedelta(0), limit=100)
    assert letters.deleted == [resolved]
    assert (report.dead_letters_read, report.dead_letters_cleared) == (2, 1)


def test_a_scheduled_event_uses_the_settings_and_bad_overrides_are_refused_before_any_io() -> None:
    scheduled = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}}
    assert parse_request(scheduled) == RedriveRequest()
    assert parse_request({"older_than_seconds": 0, "limit": 5}) == RedriveRequest(older_than_seconds=0, limit=5)
    refused = parse_request({"older_than_seconds": -1})
    assert isinstance(refused, dict) and refused["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "older_than_seconds" in refused["message"]


def test_the_local_fault_drill_routes_exist_only_when_asked_for() -> None:
    bus = LocalEventBus({}, {}, EventLog())
    poller = cast(StreamPoller, None)
    drills = {BUS_FAULT_ROUTE, STREAM_FAULT_ROUTE, TRIM_FAULT_ROUTE}
    assert not drills & set(LocalEventing(bus, poller).routes)
    drill = LocalEventing(bus, poller, switch=SwitchableBus(bus), faults=True)
    assert drills <= set(drill.routes)
    assert drill.stream_fault_route("POST", {"state": ["stuck"]})[0] == 400
    assert drill.bus_fault_route("POST", {"state": ["sideways"]})[0] == 400
    assert drill.bus_fault_route("POST", {"state": ["rejecting"]}) == (200, {"state": "rejecting"})
    assert drill.switch is not None
    assert drill.switch.put(written(2, NOW)) == ["ServiceUnavailable"] * 2
    drill.bus_fault_route("POST", {"state": ["down"]})
    with pytest.raises(ConnectionError):
        drill.switch.put(written(1, NOW))
    bus.close()
