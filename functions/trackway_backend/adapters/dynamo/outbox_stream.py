"""Outbox stream records (DynamoDB Streams, NEW_IMAGE) back into the domain events they were written from."""

from __future__ import annotations

from typing import Any

from trackway_backend.adapters.dynamo.outbox import OutboxItem, event_from_item
from trackway_backend.events import DomainEvent


def is_new_outbox_record(record: dict[str, Any]) -> bool:
    """Only inserts are events; TTL purges (REMOVE) are housekeeping."""
    return record.get("eventName") == "INSERT"


def event_from_record(record: dict[str, Any]) -> DomainEvent:
    """The event of an INSERT record; raises (ValueError, KeyError) on a record that is not an outbox item."""
    return event_from_item(OutboxItem.from_raw_data(record["dynamodb"]["NewImage"]))
