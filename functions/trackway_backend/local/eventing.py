"""Local eventing, assembled: outbox stream → publisher (in process) → local bus → rule targets, the redrive
sweep on a timer, and the supervisor's routes:

- `GET /_local/events?after=<cursor>`: the event log (what `trackway events tail` polls);
- `POST /_local/events/redrive[?older_than=<s>&limit=<n>]`: a redrive run now (`trackway events redrive`);
- `GET /_local/events/outbox`: every outbox item, published or pending;
- with `TRACKWAY_LOCAL_FAULTS=1` only, fault drills: `POST /_local/faults/bus?state=up|down|rejecting`,
  `POST /_local/faults/stream?state=paused|running` (the poller stops reading, as a stalled event source
  mapping does) and `POST /_local/faults/stream-trim` (drop unread stream records, as the 24 h retention does).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from trackway_backend.adapters.dynamo.outbox import DynamoOutboxLedger, OutboxItem
from trackway_backend.adapters.dynamo.tables import bind
from trackway_backend.events import DomainEvent
from trackway_backend.handlers.publisher import publish_stream
from trackway_backend.local.event_log import EventLog
from trackway_backend.local.events_bus import LocalEventBus, lambda_targets, load_rules, target_processes
from trackway_backend.local.stream_poller import StreamPoller
from trackway_backend.logic.publishing import OutboxPublisher
from trackway_backend.logic.redrive import Redrive
from trackway_backend.ports import EventBus
from trackway_backend.settings import RedriveSettings

log = logging.getLogger("trackway.local")
EVENTS_ROUTE = "/_local/events"
REDRIVE_ROUTE = "/_local/events/redrive"
OUTBOX_ROUTE = "/_local/events/outbox"
BUS_FAULT_ROUTE = "/_local/faults/bus"
TRIM_FAULT_ROUTE = "/_local/faults/stream-trim"
STREAM_FAULT_ROUTE = "/_local/faults/stream"
FAULTS_ENV = "TRACKWAY_LOCAL_FAULTS"
MAX_WAIT_SECONDS = 20.0
REDRIVE_INTERVAL_SECONDS = 60.0
_OUTBOX_LISTING_LIMIT = 20_000


class SwitchableBus(EventBus):
    """The local bus behind a switch for fault drills: `up`, `down` (every PutEvents raises) or `rejecting`
    (every entry comes back failed, as with EventBridge's FailedEntryCount)."""

    STATES = ("up", "down", "rejecting")

    def __init__(self, bus: EventBus) -> None:
        self._bus = bus
        self.state = "up"

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        if self.state == "down":
            raise ConnectionError("the local bus is down (fault drill)")
        if self.state == "rejecting":
            return ["ServiceUnavailable"] * len(events)
        return self._bus.put(events)


def _last(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"error_code": code, "message": message}


@dataclass
class LocalEventing:
    bus: LocalEventBus
    poller: StreamPoller
    redrive: Redrive | None = None
    switch: SwitchableBus | None = None
    settings: RedriveSettings = field(default_factory=RedriveSettings)
    faults: bool = False
    _redriving: threading.Lock = field(default_factory=threading.Lock)

    def redrive_now(self, older_than: timedelta | None = None, limit: int | None = None) -> dict[str, int]:
        """One redrive run (one at a time, so two never put the same pending event)."""
        if self.redrive is None:
            return {}
        age = timedelta(seconds=self.settings.redrive_after_seconds) if older_than is None else older_than
        with self._redriving:
            report = self.redrive.run(datetime.now(UTC), age, limit or self.settings.redrive_limit, rounds=50)
        return report.as_dict()

    def redrive_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if method != "POST":
            return _error(405, "BAD_REQUEST", f"{method} is not allowed on {REDRIVE_ROUTE}")
        try:
            older, limit = _last(query, "older_than"), _last(query, "limit")
            older_than = None if older is None else timedelta(seconds=float(older))
            count = None if limit is None else int(limit)
        except ValueError:
            return _error(400, "INVALID_PARAMETER_VALUE", "older_than and limit must be numbers")
        if (older_than is not None and older_than < timedelta(0)) or (count is not None and not 1 <= count <= 10_000):
            return _error(400, "INVALID_PARAMETER_VALUE", "older_than must be >= 0 and limit 1..10000")
        return 200, self.redrive_now(older_than, count)

    def outbox_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if method != "GET":
            return _error(405, "BAD_REQUEST", f"{method} is not allowed on {OUTBOX_ROUTE}")
        items = [
            {
                "event_id": item.pk.removeprefix("EVENT#"),
                "detail_type": item.detail_type,
                "published": item.published_at is not None,
            }
            for item in OutboxItem.scan(limit=_OUTBOX_LISTING_LIMIT)
        ]
        return 200, {"events": items, "pending": sum(1 for item in items if not item["published"])}

    def bus_fault_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        state = (query.get("state") or [""])[-1]
        if method != "POST" or self.switch is None:
            return _error(405, "BAD_REQUEST", f"{method} is not allowed on {BUS_FAULT_ROUTE}")
        if state not in SwitchableBus.STATES:
            return _error(400, "INVALID_PARAMETER_VALUE", f"state must be one of {', '.join(SwitchableBus.STATES)}")
        self.switch.state = state
        log.warning("fault drill: the local bus is %s", state)
        return 200, {"state": state}

    def stream_fault_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        state = _last(query, "state")
        if method != "POST":
            return _error(405, "BAD_REQUEST", f"{method} is not allowed on {STREAM_FAULT_ROUTE}")
        if state not in ("paused", "running"):
            return _error(400, "INVALID_PARAMETER_VALUE", "state must be paused or running")
        self.poller.paused = state == "paused"
        log.warning("fault drill: the outbox stream poller is %s", state)
        return 200, {"state": state}

    def trim_fault_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        if method != "POST":
            return _error(405, "BAD_REQUEST", f"{method} is not allowed on {TRIM_FAULT_ROUTE}")
        return 200, {"dropped": self.poller.trim()}

    def events_route(self, method: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        """`GET /_local/events?after=<cursor>[&limit=N][&wait=seconds]` → `{"events": [...], "cursor": "..."}`."""
        if method != "GET":
            return 405, {"error_code": "BAD_REQUEST", "message": f"{method} is not allowed on {EVENTS_ROUTE}"}
        try:
            after = int((query.get("after") or ["0"])[-1] or 0)
            limit = max(1, min(int((query.get("limit") or ["500"])[-1]), 10_000))
            wait = max(0.0, min(float((query.get("wait") or ["0"])[-1]), MAX_WAIT_SECONDS))
        except ValueError:
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "after, limit and wait must be numbers"}
        events, cursor = self.bus.log.after(after, limit, wait)
        return 200, {"events": events, "cursor": str(cursor)}

    @property
    def routes(self) -> dict[str, Any]:
        routes: dict[str, Any] = {
            EVENTS_ROUTE: self.events_route,
            REDRIVE_ROUTE: self.redrive_route,
            OUTBOX_ROUTE: self.outbox_route,
        }
        if self.faults:
            routes |= {
                BUS_FAULT_ROUTE: self.bus_fault_route,
                STREAM_FAULT_ROUTE: self.stream_fault_route,
                TRIM_FAULT_ROUTE: self.trim_fault_route,
            }
        return routes


class RedriveTimer(threading.Thread):
    """The redrive schedule of the deployed stack, locally: a run every `interval` seconds."""

    def __init__(self, eventing: LocalEventing, interval: float = REDRIVE_INTERVAL_SECONDS) -> None:
        super().__init__(name="trackway-redrive", daemon=True)
        self._eventing = eventing
        self._interval = interval
        self._stop_requested = threading.Event()

    def run(self) -> None:
        while not self._stop_requested.wait(self._interval):
            try:
                self._eventing.redrive_now()
            except Exception:
                log.exception("redrive run failed; the next one tries again")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_requested.set()
        self.join(timeout)


@contextmanager
def local_eventing(data_dir: Path, target_workers: int = 2) -> Iterator[LocalEventing]:
    """Start the stream poller and the bus, whose targets run in `target_workers` processes (settings come from
    the environment the local stack set)."""
    import boto3

    settings = RedriveSettings.from_env()
    bind(OutboxItem, settings.outbox_table, settings)
    rules = load_rules()
    bus = LocalEventBus(
        rules,
        lambda_targets([rule["target"] for rule in rules.values()]),
        EventLog(data_dir / "events" / "events.jsonl"),
        settings.region,
        executor=lambda: target_processes(target_workers),
    )
    switch = SwitchableBus(bus)
    ledger = DynamoOutboxLedger()
    publisher = OutboxPublisher(switch, ledger=ledger)
    endpoint: dict[str, Any] = {"region_name": settings.region, "endpoint_url": settings.dynamodb_endpoint}
    table = boto3.client("dynamodb", **endpoint).describe_table(TableName=settings.outbox_table)["Table"]
    poller = StreamPoller(
        boto3.client("dynamodbstreams", **endpoint),
        table["LatestStreamArn"],
        lambda event: publish_stream(event, publisher),
        data_dir / "events",
        settings.region,
    )
    faults = os.environ.get(FAULTS_ENV, "").lower() in {"1", "true", "yes"}
    eventing = LocalEventing(bus, poller, Redrive(ledger, switch), switch, settings, faults)
    timer = RedriveTimer(eventing)
    poller.start()
    timer.start()
    log.info("publishing outbox events to the local bus (%d rules); follow them at %s", len(rules), EVENTS_ROUTE)
    try:
        yield eventing
    finally:
        timer.stop()
        poller.stop()
        bus.close()
