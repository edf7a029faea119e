"""What the CDK stack creates in AWS, created locally: tables (and, as they land, bucket and bus)."""

from __future__ import annotations

from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.tables import bind_tracking, create_missing
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
from trackway_backend.settings import TrackingSettings


def provision() -> None:
    settings = TrackingSettings.from_env()
    bind_tracking(settings.tracking_table, settings.outbox_table, settings)
    create_missing(TrackingItem, OutboxItem)
