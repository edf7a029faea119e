"""The publisher function: the outbox table's stream onto the EventBridge bus.

Powertools' BatchProcessor reports partial failures, but records are published 10 per PutEvents rather than
one at a time. On a failure, the failed record and every record after it are reported, so the stream
resumes from there (its checkpoint is the lowest failed sequence number) and nothing is skipped. Each event
the bus accepted is marked published in the outbox; the redrive function republishes the rest.
"""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
    from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from trackway_backend.adapters.dynamo.outbox import DynamoOutboxLedger, OutboxItem
    from trackway_backend.adapters.dynamo.outbox_stream import event_from_record, is_new_outbox_record
    from trackway_backend.adapters.dynamo.tables import bind
    from trackway_backend.adapters.eventbridge import EventBridgeBus, events_client
    from trackway_backend.events import DomainEvent
    from trackway_backend.logic.publishing import OutboxPublisher
    from trackway_backend.settings import PublisherSettings

logger = Logger(service="trackway-publisher")


class NotPublished(Exception):
    """The record's event (or an earlier one in the batch) could not be put on the bus."""


class OutboxBatchProcessor(BatchProcessor):
    """Hands the whole batch to the record handler, which returns one outcome (None or an error) per record."""

    def __init__(self) -> None:
        super().__init__(EventType.DynamoDBStreams, raise_on_entire_batch_failure=False)

    def process(self) -> list[tuple[Any, ...]]:
        outcomes: list[Exception | None] = self.handler(self.records)
        results: list[tuple[Any, ...]] = []
        for record, error in zip(self.records, outcomes, strict=True):
            if error is None:
                results.append(self.success_handler(record, None))
            else:
                results.append(self.failure_handler(DynamoDBRecord(record), (type(error), error, None)))
        return results


def publish_records(publisher: OutboxPublisher, records: list[dict[str, Any]]) -> list[Exception | None]:
    """Per record: None once its event is on the bus (or it is not an event), else why not."""
    outcomes: list[Exception | None] = [None] * len(records)
    events: list[DomainEvent] = []
    positions: list[int] = []
    for position, record in enumerate(records):
        if not is_new_outbox_record(record):
            continue
        try:
            events.append(event_from_record(record))
        except (KeyError, ValueError, TypeError) as exc:
            # A record we cannot read is reported, not skipped: it ends in the dead-letter queue.
            logger.error("unreadable outbox record", extra={"position": position, "error": str(exc)})
            outcomes[position:] = [exc] * (len(records) - position)
            break
        positions.append(position)
    first_failed = publisher.publish(events)
    if first_failed is not None:
        start = positions[first_failed]
        error = NotPublished(f"event {events[first_failed].event_id} was not accepted by the bus")
        outcomes[start:] = [outcome or error for outcome in outcomes[start:]]
    return outcomes


def publish_stream(
    event: dict[str, Any], publisher: OutboxPublisher, context: Any = None
) -> PartialItemFailureResponse:
    return process_partial_response(
        event, lambda records: publish_records(publisher, records), OutboxBatchProcessor(), context
    )


@lru_cache(maxsize=1)
def _publisher() -> OutboxPublisher:
    settings = PublisherSettings.from_env()
    bind(OutboxItem, settings.outbox_table, settings)
    bus = EventBridgeBus(settings.event_bus, events_client(settings.region, settings.events_endpoint))
    # Every accepted event is marked published in the outbox (one UpdateItem each): what stays unmarked
    # is what the redrive sweep republishes.
    return OutboxPublisher(bus, ledger=DynamoOutboxLedger())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return publish_stream(event, _publisher(), context)
