"""Local eventing, assembled: outbox stream → publisher (in process) → local bus → rule targets, plus the
event log served at `GET /_local/events?after=<cursor>` (what `trackway events tail` polls)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackway_backend.handlers.publisher import publish_stream
from trackway_backend.local.event_log import EventLog
from trackway_backend.local.events_bus import LocalEventBus, lambda_targets, load_rules, target_processes
from trackway_backend.local.stream_poller import StreamPoller
from trackway_backend.logic.publishing import OutboxPublisher
from trackway_backend.settings import TrackingSettings

log = logging.getLogger("trackway.local")
EVENTS_ROUTE = "/_local/events"
MAX_WAIT_SECONDS = 20.0


@dataclass
class LocalEventing:
    bus: LocalEventBus
    poller: StreamPoller

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
        return {EVENTS_ROUTE: self.events_route}


@contextmanager
def local_eventing(data_dir: Path, target_workers: int = 2) -> Iterator[LocalEventing]:
    """Start the stream poller and the bus, whose targets run in `target_workers` processes (settings come from
    the environment the local stack set)."""
    import boto3

    settings = TrackingSettings.from_env()
    rules = load_rules()
    bus = LocalEventBus(
        rules,
        lambda_targets([rule["target"] for rule in rules.values()]),
        EventLog(data_dir / "events" / "events.jsonl"),
        settings.region,
        executor=lambda: target_processes(target_workers),
    )
    publisher = OutboxPublisher(bus)
    endpoint: dict[str, Any] = {"region_name": settings.region, "endpoint_url": settings.dynamodb_endpoint}
    table = boto3.client("dynamodb", **endpoint).describe_table(TableName=settings.outbox_table)["Table"]
    poller = StreamPoller(
        boto3.client("dynamodbstreams", **endpoint),
        table["LatestStreamArn"],
        lambda event: publish_stream(event, publisher),
        data_dir / "events",
        settings.region,
    )
    poller.start()
    log.info("publishing outbox events to the local bus (%d rules); follow them at %s", len(rules), EVENTS_ROUTE)
    try:
        yield LocalEventing(bus, poller)
    finally:
        poller.stop()
        bus.close()
