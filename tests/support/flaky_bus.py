"""An EventBus that misbehaves on demand: rejects chosen ids (FailedEntryCount), fails whole requests, or is
down altogether (an outage), and records what it accepted."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from trackway_backend.events import DomainEvent
from trackway_backend.ports import EventBus


class FlakyBus(EventBus):
    """Accepts events unless told to reject an id (N times), to fail whole requests, or to be down."""

    def __init__(self) -> None:
        self.rejections: Counter[str] = Counter()
        self.failing_requests = 0
        self.down = False
        self.reject_all = False
        self.requests: list[list[str]] = []
        self.accepted: list[str] = []

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        assert 1 <= len(events) <= self.MAX_ENTRIES
        self.requests.append([event.event_id for event in events])
        if self.down:
            raise ConnectionError("the bus is down")
        if self.failing_requests:
            self.failing_requests -= 1
            raise ConnectionError("endpoint unreachable")
        codes: list[str | None] = []
        for event in events:
            if self.reject_all:
                codes.append("ThrottlingException")
            elif self.rejections[event.event_id] > 0:
                self.rejections[event.event_id] -= 1
                codes.append("InternalFailure")
            else:
                self.accepted.append(event.event_id)
                codes.append(None)
        return codes
