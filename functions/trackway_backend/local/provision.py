"""What the CDK stack creates in AWS, created locally: tables (and, as they land, bucket and bus)."""

from __future__ import annotations

from trackway_backend.adapters.dynamo.access_store import GrantItem
from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.registry_items import RegistryItem
from trackway_backend.adapters.dynamo.tables import bind, bind_registry, bind_tracking, create_missing
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
from trackway_backend.adapters.s3.buckets import create_missing_bucket
from trackway_backend.settings import ArtifactSettings, RegistrySettings, TrackingSettings


def provision() -> None:
    settings = TrackingSettings.from_env()
    bind_tracking(settings.tracking_table, settings.outbox_table, settings)
    create_missing(TrackingItem, OutboxItem)
    registry = RegistrySettings.from_env()
    bind_registry(registry.registry_table, registry.tracking_table, registry.outbox_table, registry)
    create_missing(RegistryItem)
    bind(GrantItem, settings.access_table, settings)
    create_missing(GrantItem)
    create_missing_bucket(ArtifactSettings.from_env())
