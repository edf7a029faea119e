"""The outbox table: one item per domain event, written in the same transaction as its change.

| item      | pk              | sk       | gsi1pk (while pending) | gsi1sk (while pending)   | expires_at         |
|-----------|-----------------|----------|------------------------|--------------------------|--------------------|
| pending   | EVENT#<id>      | #EVENT   | PENDING#<0..7>         | <timestamp>#<event_id>   | (none: never)      |
| published | EVENT#<id>      | #EVENT   | (removed)              | (removed)                | published + 14 days|

The table's stream feeds the publisher, which puts the events on the bus and then marks each accepted one
published: one conditional UpdateItem per event that sets `published_at` and `expires_at` and removes the
index keys, so the item leaves the sparse `gsi1` "pending" index. The redrive sweep (logic/redrive.py) reads
that index for events still waiting. An item that was never marked never expires (docs/adr/013-event-redrive.md).
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PynamoDBException
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from trackway_backend.adapters.dynamo.errors import is_condition_failure
from trackway_backend.events import DomainEvent
from trackway_backend.ports import OutboxLedger

log = logging.getLogger("trackway.outbox")
# How long a published item stays: at least as long as the publisher's dead-letter queue keeps a message
# (SQS's maximum, 14 days; infra/trackway_infra/queues.py), so every pointer there still finds its item.
PUBLISHED_RETENTION = timedelta(days=14)
# The pending index is spread over this many partitions, so a burst of changes never heats one.
PENDING_SHARDS = 8
_EVENT_SK = "#EVENT"


class PendingIndex(GlobalSecondaryIndex["OutboxItem"]):  # type: ignore[no-untyped-call]
    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class OutboxItem(Model):
    class Meta:
        table_name = "trackway-outbox"
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_IMAGE"

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    source = UnicodeAttribute()
    detail_type = UnicodeAttribute()
    detail: JSONAttribute = JSONAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    pending = PendingIndex()


def pending_partition(event_id: str) -> str:
    return f"PENDING#{zlib.crc32(event_id.encode()) % PENDING_SHARDS}"


def outbox_item(event: DomainEvent) -> OutboxItem:
    """A pending item: in the pending index and without an expiry until the publisher marks it."""
    return OutboxItem(
        pk=f"EVENT#{event.event_id}",
        sk=_EVENT_SK,
        source=event.source,
        detail_type=event.detail_type,
        detail=event.detail,
        gsi1pk=pending_partition(event.event_id),
        gsi1sk=f"{event.timestamp}#{event.event_id}",
    )


def event_from_item(item: OutboxItem) -> DomainEvent:
    """The event an outbox item was written from; raises ValueError on an item without an envelope."""
    detail = item.detail
    if not isinstance(detail, dict) or "event_id" not in detail:
        raise ValueError(f"outbox item {item.pk} has no event envelope")
    return DomainEvent(
        source=item.source,
        detail_type=item.detail_type,
        data=detail.get("data") or {},
        actor=detail.get("actor"),
        event_id=detail["event_id"],
        timestamp=detail["timestamp"],
    )


class DynamoOutboxLedger(OutboxLedger):
    """Which outbox events are on the bus, kept on the outbox items themselves."""

    def mark_published(self, event_ids: Sequence[str], now: datetime | None = None) -> int:
        now = now or datetime.now(UTC)
        marked = 0
        for event_id in event_ids:
            item = OutboxItem(pk=f"EVENT#{event_id}", sk=_EVENT_SK)
            try:
                item.update(
                    actions=[
                        OutboxItem.published_at.set(now.isoformat(timespec="milliseconds")),
                        OutboxItem.expires_at.set(now + PUBLISHED_RETENTION),
                        OutboxItem.gsi1pk.remove(),
                        OutboxItem.gsi1sk.remove(),
                    ],
                    # Never create an item: one that is gone (or was never written) stays gone.
                    condition=OutboxItem.pk.exists(),
                )
                marked += 1
            except PynamoDBException as exc:
                if not is_condition_failure(exc):
                    raise
        return marked

    def pending(self, written_before: datetime, limit: int) -> list[DomainEvent]:
        cutoff = written_before.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        found: list[OutboxItem] = []
        for shard in range(PENDING_SHARDS):
            found += list(
                OutboxItem.pending.query(
                    f"PENDING#{shard}", OutboxItem.gsi1sk < cutoff, limit=limit, page_size=min(limit, 500)
                )
            )
        found.sort(key=lambda item: item.gsi1sk or "")
        # The index is eventually consistent: confirm on the table that each is still waiting.
        events: list[DomainEvent] = []
        for item in self._still_pending(found[:limit]):
            try:
                events.append(event_from_item(item))
            except ValueError:
                log.error("outbox item %s has no event envelope; left for inspection", item.pk)
        return events

    def _still_pending(self, items: list[OutboxItem]) -> Iterator[OutboxItem]:
        keys = [(item.pk, item.sk) for item in items]
        current = {item.pk: item for item in OutboxItem.batch_get(keys, consistent_read=True)}
        for item in items:
            fresh = current.get(item.pk)
            if fresh is not None and fresh.published_at is None:
                yield fresh
