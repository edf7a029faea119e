"""The tracking function: experiments, runs, metrics, logged models and server info."""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from trackway_backend.adapters.dynamo.access_store import DynamoGrantStore, GrantItem
    from trackway_backend.adapters.dynamo.tables import bind, bind_tracking
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.handlers import permission_routes
    from trackway_backend.handlers.authorization import Guard, TrackingLocator
    from trackway_backend.handlers.http import ApiFunction, build_resolver
    from trackway_backend.handlers.tracking import (
        experiment_routes,
        logged_model_routes,
        run_routes,
        service_routes,
    )
    from trackway_backend.logic import access, experiments
    from trackway_backend.settings import TrackingSettings


def build_app(settings: TrackingSettings) -> APIGatewayHttpResolver:
    store = DynamoTrackingStore(settings.run_index_shards, settings.deleted_retention_days)
    grants = DynamoGrantStore()
    app = build_resolver()
    Guard(settings, grants, TrackingLocator(store), auth_required=settings.auth_required).install(app)
    for routes in (service_routes, experiment_routes, run_routes, logged_model_routes):
        routes.register(app, store, settings)
    permission_routes.register_legacy(app, grants, access.existence(experiments=store), permission_routes.EXPERIMENTS)
    return app


def configure() -> TrackingSettings:
    """Once per container: read settings, bind tables, make sure experiment "0" exists."""
    settings = TrackingSettings.from_env()
    bind_tracking(settings.tracking_table, settings.outbox_table, settings)
    bind(GrantItem, settings.access_table, settings)
    experiments.ensure_default(DynamoTrackingStore(), settings.artifact_root)
    return settings


function = ApiFunction(configure, build_app)
handler = function.handler
