"""The approval function: quality gates on `model_version.created` and on the `challenger` alias being set.

Invoked asynchronously by EventBridge (rules in events/rules.json): an error fails the invocation, which
Lambda retries and then sends to the dead-letter queue.
"""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.adapters.dynamo.tables import bind_registry
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.logic.approval.approve import Trigger, approve
    from trackway_backend.ports import RegistryStore, TrackingStore
    from trackway_backend.settings import ApprovalSettings
    from trackway_backend.wire.event_models import AliasCreatedEvent, parse_registry_event

logger = Logger(service="trackway-approval")
CHALLENGER_ALIAS = "challenger"


def configure() -> ApprovalSettings:
    """Once per container: read settings and bind the registry, tracking and outbox tables."""
    settings = ApprovalSettings.from_env()
    bind_registry(settings.registry_table, settings.tracking_table, settings.outbox_table, settings)
    return settings


@lru_cache(maxsize=1)
def _stores() -> tuple[RegistryStore, TrackingStore]:
    configure()
    return DynamoRegistryStore(), DynamoTrackingStore()


def handle(event: dict[str, Any], registry: RegistryStore, tracking: TrackingStore) -> dict[str, Any]:
    parsed = parse_registry_event(event)
    data, detail = parsed.detail.data, parsed.detail
    if isinstance(parsed, AliasCreatedEvent) and parsed.detail.data.alias != CHALLENGER_ALIAS:
        return {"status": None, "note": f"alias {parsed.detail.data.alias} is not {CHALLENGER_ALIAS}"}
    trigger = Trigger(data.name, int(data.version), detail.event_id, parsed.detail_type, data.revision)
    outcome = approve(registry, tracking, trigger)
    logger.info(
        "approval",
        extra={"model": data.name, "version": data.version, "status": outcome.status, "note": outcome.note},
    )
    return {"status": outcome.status, "note": outcome.note}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, *_stores())
