"""The redrive function: on a schedule (and on demand), republish outbox events still pending and clear the
publisher's dead-letter pointers they resolve (logic/redrive.py, docs/adr/013-event-redrive.md).

Invoked by an EventBridge schedule (the event is ignored) or directly, e.g. by `trackway events redrive`,
with `{"older_than_seconds": N, "limit": N}` to override the settings for that run.
"""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from datetime import UTC, datetime, timedelta
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pydantic import BaseModel, ConfigDict, Field, ValidationError

    from trackway_backend.adapters.dynamo.outbox import DynamoOutboxLedger, OutboxItem
    from trackway_backend.adapters.dynamo.tables import bind
    from trackway_backend.adapters.eventbridge import EventBridgeBus, events_client
    from trackway_backend.adapters.sqs_dead_letters import SqsDeadLetters, sqs_client
    from trackway_backend.logic.redrive import Redrive
    from trackway_backend.settings import RedriveSettings

logger = Logger(service="trackway-redrive")
# Stop starting rounds this long before the function's timeout.
_RESERVE_MS = 60_000
_MAX_ROUNDS = 50


class RedriveRequest(BaseModel):
    """A direct invocation's overrides; a scheduled event carries none of these keys."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    older_than_seconds: int | None = Field(default=None, ge=0)
    limit: int | None = Field(default=None, ge=1, le=10_000)


@lru_cache(maxsize=1)
def _configured() -> tuple[RedriveSettings, Redrive]:
    settings = RedriveSettings.from_env()
    bind(OutboxItem, settings.outbox_table, settings)
    bus = EventBridgeBus(settings.event_bus, events_client(settings.region, settings.events_endpoint))
    queue = settings.publisher_dlq_url
    dead_letters = SqsDeadLetters(queue, sqs_client(settings.region, settings.sqs_endpoint)) if queue else None
    return settings, Redrive(DynamoOutboxLedger(), bus, dead_letters)


def parse_request(event: Any) -> RedriveRequest | dict[str, str]:
    """The run's overrides, or an MLflow-style error for a request that names them wrongly."""
    try:
        return RedriveRequest.model_validate(event if isinstance(event, dict) else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return {"error_code": "INVALID_PARAMETER_VALUE", "message": f"{where}: {first['msg']}"}


def handle(request: RedriveRequest, settings: RedriveSettings, redrive: Redrive, context: Any = None) -> dict[str, int]:
    older_than = settings.redrive_after_seconds if request.older_than_seconds is None else request.older_than_seconds
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    report = redrive.run(
        datetime.now(UTC),
        timedelta(seconds=older_than),
        request.limit or settings.redrive_limit,
        rounds=_MAX_ROUNDS,
        keep_going=(lambda: remaining() > _RESERVE_MS) if callable(remaining) else (lambda: True),
    )
    return report.as_dict()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_request(event)  # before any I/O
    if not isinstance(request, RedriveRequest):
        return request
    return handle(request, *_configured(), context)
