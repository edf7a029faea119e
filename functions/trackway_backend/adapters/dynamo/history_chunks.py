"""Packing of metric points into chunk items.

A chunk holds the points of one metric key from one request, packed as little-endian
(step int64, timestamp int64, value float64). Its sort key is derived from its content, so a retried
request rewrites the same chunk instead of adding a duplicate.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

from trackway_backend.domain import Metric

_POINT = struct.Struct("<qqd")
_STEP_OFFSET = 2**63  # makes signed int64 steps sort as zero-padded unsigned strings
MAX_POINTS_PER_CHUNK = 1000


def pack(points: Iterable[tuple[int, int, float]]) -> bytes:
    return b"".join(_POINT.pack(step, timestamp, value) for step, timestamp, value in sorted(set(points)))


def unpack(blob: bytes) -> list[tuple[int, int, float]]:
    return list(_POINT.iter_unpack(blob))


def sort_key(blob: bytes) -> str:
    step, timestamp, _ = _POINT.unpack_from(blob)
    digest = hashlib.blake2b(blob, digest_size=8).hexdigest()
    return f"{step + _STEP_OFFSET:020d}#{timestamp:015d}#{digest}"


def group(metrics: Iterable[Metric]) -> dict[tuple[str, str | None, str | None, str | None], list[Metric]]:
    """Points grouped by (key, model_id, dataset_name, dataset_digest): one chunk per group."""
    groups: dict[tuple[str, str | None, str | None, str | None], list[Metric]] = {}
    for metric in metrics:
        groups.setdefault((metric.key, metric.model_id, metric.dataset_name, metric.dataset_digest), []).append(metric)
    return groups
