"""The EventBus port on Amazon EventBridge (PutEvents)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from trackway_backend.events import DomainEvent
from trackway_backend.ports import EventBus

if TYPE_CHECKING:
    from mypy_boto3_events.client import EventBridgeClient
    from mypy_boto3_events.type_defs import PutEventsRequestEntryTypeDef


def entry(event: DomainEvent, bus_name: str) -> PutEventsRequestEntryTypeDef:
    """One PutEvents entry. The stable `event_id` travels in `detail`; EventBridge assigns its own `id`."""
    return {
        "EventBusName": bus_name,
        "Source": event.source,
        "DetailType": event.detail_type,
        "Detail": json.dumps(event.detail, separators=(",", ":")),
        "Time": datetime.fromisoformat(event.timestamp.replace("Z", "+00:00")),
        "Resources": [],
    }


class EventBridgeBus(EventBus):
    def __init__(self, bus_name: str, client: EventBridgeClient) -> None:
        self._bus_name = bus_name
        self._client = client

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        response = self._client.put_events(Entries=[entry(event, self._bus_name) for event in events])
        return [result.get("ErrorCode") for result in response["Entries"]]


@lru_cache(maxsize=4)
def events_client(region: str, endpoint: str | None = None) -> EventBridgeClient:
    """One client per container (boto3 is imported here, not at module import: cold start)."""
    import boto3

    return boto3.client("events", region_name=region, endpoint_url=endpoint)
