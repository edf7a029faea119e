"""The tracking function: experiments, runs, metrics, logged models and server info."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.adapters.dynamo.tables import bind_tracking
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.handlers.http import ApiFunction, build_resolver
from trackway_backend.handlers.tracking import (
    experiment_routes,
    logged_model_routes,
    run_routes,
    service_routes,
)
from trackway_backend.logic import experiments
from trackway_backend.settings import TrackingSettings


def build_app(settings: TrackingSettings) -> APIGatewayHttpResolver:
    store = DynamoTrackingStore(settings.run_index_shards, settings.deleted_retention_days)
    app = build_resolver()
    for routes in (service_routes, experiment_routes, run_routes, logged_model_routes):
        routes.register(app, store, settings)
    return app


def configure() -> TrackingSettings:
    """Once per container: read settings, bind tables, make sure experiment "0" exists."""
    settings = TrackingSettings.from_env()
    bind_tracking(settings.tracking_table, settings.outbox_table, settings)
    experiments.ensure_default(DynamoTrackingStore(), settings.artifact_root)
    return settings


function = ApiFunction(configure, build_app)
handler = function.handler
