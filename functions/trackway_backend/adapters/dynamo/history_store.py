"""Metric history on DynamoDB: chunk items of packed points, keyed by their content (history_chunks)."""

from __future__ import annotations

import base64
import json

from trackway_backend.adapters.dynamo import batch, history_chunks
from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase
from trackway_backend.adapters.dynamo.tracking_items import MetricChunkItem
from trackway_backend.domain import Metric, Page
from trackway_backend.errors import InvalidParameter
from trackway_backend.ports import MetricHistoryStore


class DynamoMetricHistoryStore(DynamoStoreBase, MetricHistoryStore):
    def append_history(self, run_id: str, metrics: list[Metric]) -> None:
        chunks = []
        for (key, model_id, dataset_name, dataset_digest), points in history_chunks.group(metrics).items():
            blob = history_chunks.pack((m.step, m.timestamp, m.value) for m in points)
            chunks.append(
                MetricChunkItem(
                    pk=f"HIST#{run_id}#{key}",
                    sk=history_chunks.sort_key(blob),
                    points=blob,
                    model_id=model_id,
                    dataset_name=dataset_name,
                    dataset_digest=dataset_digest,
                )
            )
        self.requests += batch.put_all(MetricChunkItem, chunks, self.policy)

    def history(self, run_id: str, key: str, page_token: str | None, max_results: int) -> Page[Metric]:
        start_sk, skip = _decode_history_token(page_token)
        return self._request(lambda: self._history_page(run_id, key, start_sk, skip, max_results))

    def _history_page(self, run_id: str, key: str, start_sk: str | None, skip: int, max_results: int) -> Page[Metric]:
        condition = MetricChunkItem.sk >= start_sk if start_sk else None
        points: list[Metric] = []
        for chunk in MetricChunkItem.query(f"HIST#{run_id}#{key}", condition, consistent_read=True):
            unpacked = history_chunks.unpack(chunk.points)
            first = skip if chunk.sk == start_sk else 0
            for index in range(first, len(unpacked)):
                if len(points) == max_results:
                    return Page(points, _encode_history_token(chunk.sk, index))
                step, timestamp, value = unpacked[index]
                points.append(
                    Metric(key, value, timestamp, step, chunk.model_id, chunk.dataset_name, chunk.dataset_digest)
                )
        return Page(points)


def _encode_history_token(sort_key: str, skip: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sk": sort_key, "skip": skip}).encode()).decode()


def _decode_history_token(token: str | None) -> tuple[str | None, int]:
    if not token:
        return None, 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(decoded["sk"]), int(decoded["skip"])
    except (ValueError, KeyError, TypeError):
        raise InvalidParameter(f"Invalid page token '{token}'") from None
