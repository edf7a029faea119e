"""Putting outbox events on the bus: in order, 10 per request, failed entries retried with backoff.

Delivery is at-least-once with a stable `event_id`. What cannot be put after the retries is reported back so
the stream redelivers it (and, after its own retries, sends it to the dead-letter queue): never dropped.
What the bus accepted is marked published in the outbox ledger; what is never marked stays pending for the
redrive sweep (logic/redrive.py).
"""

from __future__ import annotations

import logging
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from trackway_backend.events import DomainEvent
from trackway_backend.ports import EventBus, OutboxLedger

log = logging.getLogger("trackway.publisher")
ATTEMPTS = 4
_BASE_DELAY = 0.1
_REMEMBERED = 10_000


class OutboxPublisher:
    """Publishes batches of outbox events; remembers recently published ids so a redelivered batch
    (streams resume from the first failed record) does not put the ones after it again."""

    def __init__(
        self,
        bus: EventBus,
        attempts: int = ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
        ledger: OutboxLedger | None = None,
    ) -> None:
        self._bus = bus
        self._ledger = ledger
        self._attempts = attempts
        self._sleep = sleep
        self._published: OrderedDict[str, None] = OrderedDict()

    def publish(self, events: Sequence[DomainEvent]) -> int | None:
        """Publish `events` in order; returns the index of the first one that could not be put, or None.

        Events after that index are not attempted, so the caller can report it and everything after it
        as failed, which is what a stream's checkpoint needs.
        """
        for start in range(0, len(events), EventBus.MAX_ENTRIES):
            indexes = [
                index
                for index in range(start, min(start + EventBus.MAX_ENTRIES, len(events)))
                if events[index].event_id not in self._published
            ]
            failed = self._put_with_retries(events, indexes)
            if failed:
                return failed[0]
        return None

    def _put_with_retries(self, events: Sequence[DomainEvent], indexes: list[int]) -> list[int]:
        for attempt in range(self._attempts):
            if not indexes:
                return []
            if attempt:
                self._sleep(_BASE_DELAY * 2 ** (attempt - 1) * (0.5 + random.random()))
            try:
                codes = self._bus.put([events[index] for index in indexes])
            except Exception:
                log.warning("PutEvents failed as a whole (attempt %d)", attempt + 1, exc_info=True)
                continue
            accepted: list[str] = []
            for index, code in zip(indexes, codes, strict=True):
                if code is None:
                    accepted.append(events[index].event_id)
                    self._remember(events[index].event_id)
                else:
                    log.warning("event %s rejected: %s", events[index].event_id, code)
            self._mark(accepted)
            indexes = [index for index, code in zip(indexes, codes, strict=True) if code is not None]
        return indexes

    def _mark(self, event_ids: list[str]) -> None:
        if not self._ledger or not event_ids:
            return
        try:
            self._ledger.mark_published(event_ids)
        except Exception:
            # The events are on the bus; unmarked, the sweep puts them again later under the same event_id.
            log.warning("could not mark %d events published", len(event_ids), exc_info=True)

    def _remember(self, event_id: str) -> None:
        self._published[event_id] = None
        if len(self._published) > _REMEMBERED:
            self._published.popitem(last=False)
