"""Metric history on DynamoDB: chunk items of packed points, keyed by their content (history_chunks).

A key's history is its own partition (`HIST#<run>#<key>`) merged with the run's shared items
(`HIST#<run>`), both in sort-key order; a page token names the item (sort key and partition) and the
number of the key's points in it already returned.
"""

from __future__ import annotations

import base64
import heapq
import json
from collections.abc import Iterator

from trackway_backend.adapters.dynamo import batch, history_chunks
from trackway_backend.adapters.dynamo.run_summaries import change_mark_item
from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase
from trackway_backend.adapters.dynamo.tracking_items import MetricChunkItem, SharedChunkItem, TrackingItem
from trackway_backend.domain import Metric, Page, Run
from trackway_backend.errors import InvalidParameter
from trackway_backend.ports import MetricHistoryStore

_OWN, _SHARED = 0, 1  # the two sources of a key's points, in the order items with equal sort keys merge
Position = tuple[str, int]  # (sort key, source) of a chunk: the merge order


class DynamoMetricHistoryStore(DynamoStoreBase, MetricHistoryStore):
    shared_below_points = history_chunks.SHARED_BELOW_POINTS

    def append_history(self, run_id: str, metrics: list[Metric], changed: Run | None = None) -> None:
        layout = history_chunks.layout(metrics, self.shared_below_points)
        chunks: list[TrackingItem] = [
            MetricChunkItem(
                pk=f"HIST#{run_id}#{key}",
                sk=history_chunks.sort_key(blob),
                points=blob,
                model_id=model_id,
                dataset_name=dataset_name,
                dataset_digest=dataset_digest,
            )
            for (key, model_id, dataset_name, dataset_digest), blob in layout.own.items()
        ]
        chunks += [
            SharedChunkItem(
                pk=f"HIST#{run_id}",
                sk=history_chunks.shared_sort_key(payload),
                payload=history_chunks.compress(payload),
            )
            for payload in layout.shared
        ]
        if changed is not None:  # the summary's change mark rides in the chunks' request (run_summaries)
            chunks.append(change_mark_item(changed, self._shards))
        self.requests += batch.put_all(MetricChunkItem, chunks, self.policy)

    def history(self, run_id: str, key: str, page_token: str | None, max_results: int) -> Page[Metric]:
        start, skip = _decode_history_token(page_token)
        page = self._request(lambda: self._history_page(run_id, key, start, skip, max_results))
        self.requests += 1  # two queries: the key's own partition and the run's shared one
        return page

    def _history_page(self, run_id: str, key: str, start: Position | None, skip: int, max_results: int) -> Page[Metric]:
        points: list[Metric] = []
        own, shared = self._own_chunks(run_id, key, start), self._shared_chunks(run_id, key, start)
        chunks = heapq.merge(own, shared, key=lambda chunk: chunk[0])
        for position, chunk_points in chunks:
            if start is not None and position < start:
                continue
            first = skip if position == start else 0
            for index in range(first, len(chunk_points)):
                if len(points) == max_results:
                    return Page(points, _encode_history_token(position, index))
                points.append(chunk_points[index])
        return Page(points)

    def _own_chunks(self, run_id: str, key: str, start: Position | None) -> Iterator[tuple[Position, list[Metric]]]:
        condition = MetricChunkItem.sk >= start[0] if start else None
        for chunk in MetricChunkItem.query(f"HIST#{run_id}#{key}", condition, consistent_read=True):
            yield (
                (chunk.sk, _OWN),
                [
                    Metric(key, value, timestamp, step, chunk.model_id, chunk.dataset_name, chunk.dataset_digest)
                    for step, timestamp, value in history_chunks.unpack(chunk.points)
                ],
            )

    def _shared_chunks(self, run_id: str, key: str, start: Position | None) -> Iterator[tuple[Position, list[Metric]]]:
        condition = SharedChunkItem.sk >= start[0] if start else None
        for chunk in SharedChunkItem.query(f"HIST#{run_id}", condition, consistent_read=True):
            groups = history_chunks.shared_points(chunk.payload, key)
            if groups:
                yield (
                    (chunk.sk, _SHARED),
                    [
                        Metric(key, value, timestamp, step, model_id, dataset_name, dataset_digest)
                        for (_, model_id, dataset_name, dataset_digest), points in groups
                        for step, timestamp, value in points
                    ],
                )


def _encode_history_token(position: Position, skip: int) -> str:
    sort_key, source = position
    return base64.urlsafe_b64encode(json.dumps({"sk": sort_key, "src": source, "skip": skip}).encode()).decode()


def _decode_history_token(token: str | None) -> tuple[Position | None, int]:
    """Tokens written before shared items existed carry no source: they point into the key's own chunks."""
    if not token:
        return None, 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        return (str(decoded["sk"]), int(decoded.get("src", _OWN))), int(decoded["skip"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InvalidParameter(f"Invalid page token '{token}'") from None
