"""The outbox table's stream, polled the way Lambda's event source mapping does, feeding the publisher in
process: INSERT records only (the CDK filter), batches of up to 100, partial failures retried from the first
failed record, and records that keep failing written to a dead-letter file, never dropped silently.
Checkpoints persist under the data directory, so a restart does not publish old records again."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("trackway.local")
Handler = Callable[[dict[str, Any]], Any]
BATCH_SIZE = 100
RETRY_ATTEMPTS = 5
_SHARD_REFRESH_SECONDS = 1.0
_STALE_ITERATOR = {"ExpiredIteratorException", "TrimmedDataAccessException"}


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None) or {}
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


class StreamPoller(threading.Thread):
    def __init__(
        self,
        streams: Any,  # a boto3 `dynamodbstreams` client
        stream_arn: str,
        handler: Handler,
        state_dir: Path,
        region: str = "us-east-1",
        interval: float = 0.05,
        retry_delay: float = 0.2,
    ) -> None:
        super().__init__(name="trackway-stream-poller", daemon=True)
        self._streams = streams
        self._arn = stream_arn
        self._handler = handler
        self._region = region
        self._interval = interval
        self._retry_delay = retry_delay
        self._stop_requested = threading.Event()
        state_dir.mkdir(parents=True, exist_ok=True)
        self._checkpoint_file = state_dir / "stream-checkpoints.json"
        self._dead_letters = state_dir / "publisher-dlq.jsonl"
        self._checkpoints: dict[str, str] = self._load_checkpoints()
        self._iterators: dict[str, str] = {}
        self._closed: set[str] = set()
        self._shards: list[dict[str, Any]] = []
        self._shards_read_at = 0.0
        # One reader at a time: the poll loop, or a fault drill's trim.
        self._reading = threading.Lock()
        # A fault drill may pause reading (records then wait in the stream, as behind a stalled mapping).
        self.paused = False

    def stop(self, timeout: float = 5.0) -> None:
        self._stop_requested.set()
        self.join(timeout)

    def run(self) -> None:
        while not self._stop_requested.is_set():
            try:
                busy = False if self.paused else self.poll_once()
            except Exception:
                log.exception("outbox stream poll failed; retrying")
                self._iterators.clear()
                busy = False
                self._stop_requested.wait(1.0)
            if not busy:
                self._stop_requested.wait(self._interval)

    def poll_once(self) -> bool:
        """Read each open shard once; True when any records came."""
        with self._reading:
            return self._poll_once()

    def trim(self) -> int:
        """Drop every record not delivered yet, as the stream does with records older than 24 hours (a fault
        drill: what is dropped here only the outbox's redrive can still publish). Returns how many."""
        dropped = 0
        with self._reading:
            for shard in self._open_shards():
                shard_id = shard["ShardId"]
                while records := (response := self._read(shard_id)).get("Records", []):
                    dropped += sum(1 for record in records if record.get("eventName") == "INSERT")
                    self._checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                    self._iterators[shard_id] = response.get("NextShardIterator") or self._iterator(shard_id)
                self._save_checkpoints()
        log.warning("fault drill: %d outbox stream records trimmed unpublished", dropped)
        return dropped

    def _poll_once(self) -> bool:
        busy = False
        for shard in self._open_shards():
            shard_id = shard["ShardId"]
            response = self._read(shard_id)
            records = response.get("Records", [])
            if records:
                busy = True
                self._deliver(records)
                self._checkpoints[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                self._save_checkpoints()
            following = response.get("NextShardIterator")
            if following is None:
                self._closed.add(shard_id)
                self._iterators.pop(shard_id, None)
            else:
                self._iterators[shard_id] = following
        return busy

    def _read(self, shard_id: str) -> dict[str, Any]:
        iterator = self._iterators.get(shard_id) or self._iterator(shard_id)
        try:
            return dict(self._streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE))
        except Exception as exc:
            if _error_code(exc) not in _STALE_ITERATOR:
                raise
        # Iterators expire (15 min), and DynamoDB Local invalidates one taken on an empty shard once
        # records arrive: take a fresh one from the checkpoint.
        return dict(self._streams.get_records(ShardIterator=self._iterator(shard_id), Limit=BATCH_SIZE))

    def _open_shards(self) -> list[dict[str, Any]]:
        if time.monotonic() - self._shards_read_at > _SHARD_REFRESH_SECONDS:
            shards: list[dict[str, Any]] = []
            start: dict[str, str] = {}
            while True:
                description = self._streams.describe_stream(StreamArn=self._arn, **start)["StreamDescription"]
                shards += description.get("Shards", [])
                if not description.get("LastEvaluatedShardId"):
                    break
                start = {"ExclusiveStartShardId": description["LastEvaluatedShardId"]}
            self._shards, self._shards_read_at = shards, time.monotonic()
        # A child shard is read only once its parent is finished, so records stay in order.
        known = {shard["ShardId"] for shard in self._shards}
        return [
            shard
            for shard in self._shards
            if shard["ShardId"] not in self._closed
            and (shard.get("ParentShardId") not in known or shard.get("ParentShardId") in self._closed)
        ]

    def _iterator(self, shard_id: str) -> str:
        checkpoint = self._checkpoints.get(shard_id)
        position: dict[str, str] = (
            {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": checkpoint}
            if checkpoint
            else {"ShardIteratorType": "TRIM_HORIZON"}
        )
        try:
            response = self._streams.get_shard_iterator(StreamArn=self._arn, ShardId=shard_id, **position)
        except Exception:
            if not checkpoint:
                raise
            # The checkpoint is gone (trimmed after 24 h, or a new stream): start from the oldest record.
            log.warning("checkpoint %s of shard %s is not readable; reading from the start", checkpoint, shard_id)
            response = self._streams.get_shard_iterator(
                StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
            )
        return str(response["ShardIterator"])

    def _deliver(self, records: list[dict[str, Any]]) -> None:
        pending = [self._lambda_record(record) for record in records if record.get("eventName") == "INSERT"]
        for attempt in range(RETRY_ATTEMPTS):
            if not pending:
                return
            try:
                failures = (self._handler({"Records": pending}) or {}).get("batchItemFailures") or []
            except Exception:
                log.exception("publisher failed on %d records (attempt %d)", len(pending), attempt + 1)
                failures = [{"itemIdentifier": pending[0]["dynamodb"]["SequenceNumber"]}]
            failed = {str(failure["itemIdentifier"]) for failure in failures}
            # Like Lambda: resume from the first failed record; everything before it is done.
            first = next((i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed), None)
            pending = [] if first is None else pending[first:]
            if pending:
                self._stop_requested.wait(self._retry_delay * 2**attempt)
        if pending:
            log.error("publisher kept failing; %d records written to %s", len(pending), self._dead_letters)
            with self._dead_letters.open("a", encoding="utf-8") as file:
                for record in pending:
                    file.write(json.dumps(record, default=str) + "\n")

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        """A GetRecords record in the shape Lambda passes to a function."""
        change = dict(record["dynamodb"])
        created = change.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            change["ApproximateCreationDateTime"] = int(created.timestamp())
        return {
            "eventID": record.get("eventID"),
            "eventName": record.get("eventName"),
            "eventVersion": record.get("eventVersion", "1.1"),
            "eventSource": "aws:dynamodb",
            "awsRegion": self._region,
            "dynamodb": change,
            "eventSourceARN": self._arn,
        }

    def _load_checkpoints(self) -> dict[str, str]:
        try:
            loaded = json.loads(self._checkpoint_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(key): str(value) for key, value in loaded.items()} if isinstance(loaded, dict) else {}

    def _save_checkpoints(self) -> None:
        temporary = self._checkpoint_file.with_suffix(".tmp")
        temporary.write_text(json.dumps(self._checkpoints))
        temporary.replace(self._checkpoint_file)
