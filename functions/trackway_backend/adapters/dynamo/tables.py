"""Binding pynamodb models to configured tables, and creating tables where no stack does (local, tests)."""

from __future__ import annotations

from pynamodb.models import Model

from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
from trackway_backend.settings import AwsSettings


def bind(model: type[Model], table_name: str, aws: AwsSettings) -> None:
    """Point a model and its subclasses at a table. Called once per container, at the entry point."""
    meta = model.Meta
    meta.table_name = table_name  # type: ignore[misc]
    meta.region = aws.region  # type: ignore[misc]
    meta.host = aws.dynamodb_endpoint  # type: ignore[misc]
    family = [model]
    while family:
        member = family.pop()
        member._connection = None
        family.extend(member.__subclasses__())


def bind_tracking(tracking_table: str, outbox_table: str, aws: AwsSettings) -> None:
    bind(TrackingItem, tracking_table, aws)
    bind(OutboxItem, outbox_table, aws)


def bind_registry(registry_table: str, tracking_table: str, outbox_table: str, aws: AwsSettings) -> None:
    """The registry function reads logged models from the tracking table and writes its own outbox."""
    from trackway_backend.adapters.dynamo.registry_items import RegistryItem

    bind(RegistryItem, registry_table, aws)
    bind_tracking(tracking_table, outbox_table, aws)


def create_missing(*models: type[Model]) -> None:
    """Create the tables of `models` that do not exist yet (the CDK stack owns them in AWS)."""
    for model in models:
        if not model.exists():
            model.create_table(wait=True)
