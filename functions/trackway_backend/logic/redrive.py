"""Redrive: put on the bus every outbox event still waiting, and clear the dead-letter pointers it resolves.

The stream normally publishes an event within seconds. When it cannot (the bus is down longer than the
stream's retries, or longer than its 24 h retention), the event's outbox item stays pending: it never expires
and sits in the pending index. The sweep republishes pending events older than a threshold, in commit order,
with the event_id fixed at commit (consumers deduplicate on it), and marks them published. A dead-letter
pointer (shard, sequence range, arrival times) is deleted once no event written up to its last arrival is
still pending, so the dead-letter alarm clears only when its events are really on the bus.
See docs/adr/013-event-redrive.md.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from trackway_backend.logic.publishing import OutboxPublisher
from trackway_backend.ports import DeadLetters, EventBus, OutboxLedger

log = logging.getLogger("trackway.redrive")
# Events within this long of a pointer's last arrival count as its events (stream arrival times are
# approximate, to the second, and commit timestamps come from the writer's clock).
ARRIVAL_SLACK = timedelta(minutes=1)
DEAD_LETTER_BATCH = 10
DEAD_LETTER_RECEIVES = 50


@dataclass
class RedriveReport:
    pending: int = 0
    republished: int = 0
    not_accepted: int = 0
    dead_letters_read: int = 0
    dead_letters_cleared: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class Redrive:
    def __init__(
        self,
        ledger: OutboxLedger,
        bus: EventBus,
        dead_letters: DeadLetters | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._ledger = ledger
        self._bus = bus
        self._dead_letters = dead_letters
        self._sleep = sleep

    def run(
        self,
        now: datetime,
        older_than: timedelta,
        limit: int,
        rounds: int = 1,
        keep_going: Callable[[], bool] = lambda: True,
    ) -> RedriveReport:
        """Republish pending events written before `now - older_than` (`limit` per round, up to `rounds`
        rounds while `keep_going()`), then clear the dead-letter pointers that no longer hold a pending event."""
        report = RedriveReport()
        for _ in range(rounds):
            if not self._sweep(now - older_than, limit, report) or not keep_going():
                break
        if self._dead_letters is not None:
            self._clear_dead_letters(report)
        log.info("redrive finished", extra=report.as_dict())
        return report

    def _sweep(self, written_before: datetime, limit: int, report: RedriveReport) -> bool:
        """One round; True when it was full and all accepted, so another round may find more."""
        events = self._ledger.pending(written_before, limit)
        if not events:
            return False
        # A fresh publisher: its memory of published ids must not make it skip an event left unmarked.
        publisher = OutboxPublisher(self._bus, sleep=self._sleep, ledger=self._ledger)
        first_failed = publisher.publish(events)
        accepted = len(events) if first_failed is None else first_failed
        report.pending += len(events)
        report.republished += accepted
        report.not_accepted += len(events) - accepted
        if first_failed is not None:
            log.warning(
                "the bus did not accept event %s; %d left pending",
                events[first_failed].event_id,
                len(events) - accepted,
            )
        return first_failed is None and len(events) == limit

    def _clear_dead_letters(self, report: RedriveReport) -> None:
        assert self._dead_letters is not None
        for _ in range(DEAD_LETTER_RECEIVES):
            letters = self._dead_letters.receive(DEAD_LETTER_BATCH)
            if not letters:
                break
            report.dead_letters_read += len(letters)
            resolved = [
                letter for letter in letters if not self._ledger.pending(letter.last_arrival + ARRIVAL_SLACK, 1)
            ]
            for letter in resolved:
                log.info("dead letter resolved: its events are on the bus", extra=letter.as_log())
            self._dead_letters.delete(resolved)
            report.dead_letters_cleared += len(resolved)
            if len(resolved) < len(letters):
                # Those left stay in the queue (and keep the alarm on) until a later run publishes them.
                break
