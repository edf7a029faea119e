"""The registry function: registered models, versions, tags, aliases, stages and search."""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from trackway_backend.adapters.dynamo.access_store import DynamoGrantStore, GrantItem
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.adapters.dynamo.tables import bind, bind_registry
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.handlers import permission_routes
    from trackway_backend.handlers.authorization import Guard, TrackingLocator
    from trackway_backend.handlers.http import ApiFunction, build_resolver
    from trackway_backend.handlers.registry import alias_routes, model_routes, version_routes
    from trackway_backend.logic import access
    from trackway_backend.settings import RegistrySettings


def build_app(settings: RegistrySettings) -> APIGatewayHttpResolver:
    store, tracking = DynamoRegistryStore(), DynamoTrackingStore()
    grants = DynamoGrantStore()
    app = build_resolver()
    Guard(settings, grants, TrackingLocator(tracking), auth_required=settings.auth_required).install(app)
    model_routes.register(app, store)
    version_routes.register(app, store, tracking)
    alias_routes.register(app, store)
    exists = access.existence(tracking, store)
    permission_routes.register_legacy(app, grants, exists, permission_routes.MODELS)
    permission_routes.register_unified(app, grants, exists, settings)
    return app


def configure() -> RegistrySettings:
    """Once per container: read settings and bind the tables."""
    settings = RegistrySettings.from_env()
    bind_registry(settings.registry_table, settings.tracking_table, settings.outbox_table, settings)
    bind(GrantItem, settings.access_table, settings)
    return settings


function = ApiFunction(configure, build_app)
handler = function.handler
