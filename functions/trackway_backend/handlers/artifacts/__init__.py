"""The artifacts function: listing, presigned S3 transfers and multipart uploads; bytes stay out of it
(except a small proxied PUT from an older mlflow client)."""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from trackway_backend.adapters.dynamo.access_store import DynamoGrantStore, GrantItem
    from trackway_backend.adapters.dynamo.tables import bind
    from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.adapters.s3.client import s3_client
    from trackway_backend.adapters.s3.object_store import S3ObjectStore
    from trackway_backend.handlers.artifacts import multipart_routes, transfer_routes
    from trackway_backend.handlers.authorization import Guard, TrackingLocator
    from trackway_backend.handlers.http import ApiFunction, build_resolver
    from trackway_backend.settings import ArtifactSettings


def build_app(settings: ArtifactSettings) -> APIGatewayHttpResolver:
    store = DynamoTrackingStore()
    # An endpoint means an S3 emulator (the local stack), whose delimiter listings miss directories.
    objects = S3ObjectStore(
        s3_client(settings.region, settings.s3_endpoint),
        settings.artifact_bucket,
        flat_listing=settings.s3_endpoint is not None,
    )
    app = build_resolver()
    Guard(settings, DynamoGrantStore(), TrackingLocator(store), auth_required=settings.auth_required).install(app)
    for routes in (transfer_routes, multipart_routes):
        routes.register(app, store, objects, settings)
    return app


def configure() -> ArtifactSettings:
    """Once per container: read settings and bind the tracking table (runs and logged models)."""
    settings = ArtifactSettings.from_env()
    bind(TrackingItem, settings.tracking_table, settings)
    bind(GrantItem, settings.access_table, settings)
    return settings


function = ApiFunction(configure, build_app)
handler = function.handler
