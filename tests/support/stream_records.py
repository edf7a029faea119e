"""DynamoDB stream records of outbox items, in the shape Lambda passes to the publisher."""

from __future__ import annotations

from typing import Any

from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.events import DomainEvent

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/trackway-outbox/stream/2024-06-01T00:00:00.000"


def stream_record(event: DomainEvent, sequence: int, name: str = "INSERT") -> dict[str, Any]:
    image = outbox_item(event).serialize()
    return {
        "eventID": f"id-{sequence}",
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": 1_717_200_000,
            "Keys": {"pk": image["pk"], "sk": image["sk"]},
            "NewImage": image,
            "SequenceNumber": f"{sequence:021d}",
            "SizeBytes": 512,
            "StreamViewType": "NEW_IMAGE",
        },
        "eventSourceARN": STREAM_ARN,
    }


def stream_event(events: list[DomainEvent], first_sequence: int = 100) -> dict[str, Any]:
    return {"Records": [stream_record(event, first_sequence + index) for index, event in enumerate(events)]}


def domain_events(count: int) -> list[DomainEvent]:
    return [
        DomainEvent("trackway.registry", "model_version.created", {"name": "iris", "version": str(n + 1)})
        for n in range(count)
    ]
