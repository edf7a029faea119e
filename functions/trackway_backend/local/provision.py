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
    add_missing_pending_index(settings)
    registry = RegistrySettings.from_env()
    bind_registry(registry.registry_table, registry.tracking_table, registry.outbox_table, registry)
    create_missing(RegistryItem)
    bind(GrantItem, settings.access_table, settings)
    create_missing(GrantItem)
    create_missing_bucket(ArtifactSettings.from_env())


def add_missing_pending_index(settings: TrackingSettings) -> None:
    """An outbox table made before the pending index (a data directory from an older version) gets it."""
    import boto3

    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    table = client.describe_table(TableName=settings.outbox_table)["Table"]
    name = OutboxItem.pending.Meta.index_name
    if any(index["IndexName"] == name for index in table.get("GlobalSecondaryIndexes", [])):
        return
    client.update_table(
        TableName=settings.outbox_table,
        AttributeDefinitions=[
            {"AttributeName": "gsi1pk", "AttributeType": "S"},
            {"AttributeName": "gsi1sk", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": name,
                    "KeySchema": [
                        {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                        {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
