"""The outbox table: one item per domain event, written in the same transaction as its change.

The table's stream feeds the publisher, which puts the events on the bus. Items expire by TTL once
they are long past delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pynamodb.attributes import JSONAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.models import Model

from trackway_backend.events import DomainEvent

RETENTION = timedelta(days=7)


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
    expires_at = TTLAttribute(null=True)


def outbox_item(event: DomainEvent) -> OutboxItem:
    return OutboxItem(
        pk=f"EVENT#{event.event_id}",
        sk="#EVENT",
        source=event.source,
        detail_type=event.detail_type,
        detail=event.detail,
        expires_at=datetime.now(UTC) + RETENTION,
    )
