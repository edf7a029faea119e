"""The DeadLetters port on the publisher's SQS queue: the stream event source mapping's on-failure records.

Lambda writes one JSON message per batch it gave up on, with the batch's place in the stream only:
`{"DDBStreamBatchInfo": {"shardId", "startSequenceNumber", "endSequenceNumber",
"approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord", "batchSize", "streamArn"}, ...}`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from trackway_backend.ports import DeadLetter, DeadLetters

if TYPE_CHECKING:
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

log = logging.getLogger("trackway.redrive")
# Long enough for a redrive run to publish and come back to delete; shorter than the schedule's period.
VISIBILITY_SECONDS = 240


def dead_letter(body: str, receipt: str) -> DeadLetter:
    """Raises (ValueError, KeyError, TypeError) on a message that is not a stream failure record."""
    info: dict[str, Any] = json.loads(body)["DDBStreamBatchInfo"]
    return DeadLetter(
        receipt=receipt,
        shard_id=str(info["shardId"]),
        first_sequence=str(info["startSequenceNumber"]),
        last_sequence=str(info["endSequenceNumber"]),
        first_arrival=_instant(info["approximateArrivalOfFirstRecord"]),
        last_arrival=_instant(info["approximateArrivalOfLastRecord"]),
        batch_size=int(info.get("batchSize") or 0),
    )


def _instant(raw: Any) -> datetime:
    instant = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    if instant.tzinfo is None:
        raise ValueError(f"arrival time {raw!r} has no time zone")
    return instant


class SqsDeadLetters(DeadLetters):
    def __init__(self, queue_url: str, client: SQSClient) -> None:
        self._url = queue_url
        self._client = client

    def receive(self, max_messages: int) -> list[DeadLetter]:
        response = self._client.receive_message(
            QueueUrl=self._url,
            MaxNumberOfMessages=min(max_messages, 10),
            VisibilityTimeout=VISIBILITY_SECONDS,
            WaitTimeSeconds=0,
        )
        letters: list[DeadLetter] = []
        for message in response.get("Messages", []):
            try:
                letters.append(dead_letter(message["Body"], message["ReceiptHandle"]))
            except (ValueError, KeyError, TypeError):
                log.error("not a stream failure record; left in the queue", extra={"id": message.get("MessageId")})
        return letters

    def delete(self, letters: Sequence[DeadLetter]) -> None:
        for start in range(0, len(letters), 10):
            batch = letters[start : start + 10]
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(n), "ReceiptHandle": letter.receipt} for n, letter in enumerate(batch)
            ]
            failed = self._client.delete_message_batch(QueueUrl=self._url, Entries=entries).get("Failed", [])
            for failure in failed:
                log.warning("could not delete dead letter: %s", failure.get("Message"))


@lru_cache(maxsize=4)
def sqs_client(region: str, endpoint: str | None = None) -> SQSClient:
    import boto3

    return boto3.client("sqs", region_name=region, endpoint_url=endpoint)
