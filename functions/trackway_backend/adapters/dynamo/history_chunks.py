"""Packing of metric points into chunk items (docs/adr/010-metric-write-budgets.md).

Points are grouped by (key, model_id, dataset_name, dataset_digest) and packed as little-endian
(step int64, timestamp int64, value float64), sorted and de-duplicated. A group with many points becomes a
chunk of its own key; the groups of one request with few points share one item, so a step of 50 metrics is
one write instead of 50. Sort keys are derived from the content, and the layout from the request alone, so a
retried request rewrites the same items instead of adding duplicates.
"""

from __future__ import annotations

import hashlib
import json
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from trackway_backend.domain import Metric

_POINT = struct.Struct("<qqd")
_STEP_OFFSET = 2**63  # makes signed int64 steps sort as zero-padded unsigned strings
MAX_POINTS_PER_CHUNK = 1000
# A group with fewer points than this shares an item with the request's other small groups. A per-key chunk
# of 16 points (~500 bytes) pays a whole write unit for half of one; one of 20 (an SDK batch of 1,000 points
# over 50 keys) is read back alone. Chosen with bench/history_layout.py, ADR 010.
SHARED_BELOW_POINTS = 16
SHARED_MAX_BYTES = 256 * 1024  # of one shared payload before compression: far under the 400 KB item limit

Group = tuple[str, str | None, str | None, str | None]  # key, model_id, dataset_name, dataset_digest
Point = tuple[int, int, float]


@dataclass
class Layout:
    """The items one request's points become: packed points per group, and shared payloads."""

    own: dict[Group, bytes] = field(default_factory=dict)
    shared: list[bytes] = field(default_factory=list)


def pack(points: Iterable[Point]) -> bytes:
    return b"".join(_POINT.pack(step, timestamp, value) for step, timestamp, value in sorted(set(points)))


def unpack(blob: bytes) -> list[Point]:
    return list(_POINT.iter_unpack(blob))


def sort_key(blob: bytes) -> str:
    """Of a per-key chunk: its first point, then a digest of its points."""
    step, timestamp, _ = _POINT.unpack_from(blob)
    return _sort_key((step, timestamp), blob)


def group(metrics: Iterable[Metric]) -> dict[Group, list[Metric]]:
    """Points grouped by (key, model_id, dataset_name, dataset_digest)."""
    groups: dict[Group, list[Metric]] = {}
    for metric in metrics:
        groups.setdefault((metric.key, metric.model_id, metric.dataset_name, metric.dataset_digest), []).append(metric)
    return groups


def layout(metrics: Iterable[Metric], shared_below: int = SHARED_BELOW_POINTS) -> Layout:
    """Per-key chunks for groups with `shared_below` points or more, shared payloads for the others (when
    at least two groups are small: a lone small group gains nothing from sharing and reads back alone)."""
    packed = {
        name: pack((m.step, m.timestamp, m.value) for m in points)
        for name, points in sorted(group(metrics).items(), key=lambda entry: _group_order(entry[0]))
    }
    small = [name for name, blob in packed.items() if len(blob) < shared_below * _POINT.size]
    if len(small) < 2:
        return Layout(own=packed)
    result = Layout(own={name: blob for name, blob in packed.items() if name not in small})
    part: list[tuple[Group, bytes]] = []
    size = 0
    for name in small:
        entry_size = len(json.dumps(name)) + 8 + len(packed[name])  # header entry (an upper bound) + points
        if part and size + entry_size > SHARED_MAX_BYTES:
            result.shared.append(_encode_shared(part))
            part, size = [], 0
        part.append((name, packed[name]))
        size += entry_size
    result.shared.append(_encode_shared(part))
    return result


def shared_sort_key(payload: bytes) -> str:
    """Of a shared item: the first (step, timestamp) of its points, then a digest of its content."""
    header, body = _split(payload)
    offsets = _offsets(header)
    first = min(_POINT.unpack_from(body, start * _POINT.size)[:2] for start, _ in offsets)
    return _sort_key(first, payload)


def compress(payload: bytes) -> bytes:
    return zlib.compress(payload, 9)


def shared_points(stored: bytes, key: str) -> list[tuple[Group, list[Point]]]:
    """The groups of `key` in a stored (compressed) shared payload, with their points, in payload order."""
    header, body = _split(zlib.decompress(stored))
    return [
        (_group(entry), list(_POINT.iter_unpack(body[start * _POINT.size : end * _POINT.size])))
        for entry, (start, end) in zip(header, _offsets(header), strict=True)
        if entry[0] == key
    ]


def _encode_shared(groups: list[tuple[Group, bytes]]) -> bytes:
    """A JSON header of [key, points, model_id, dataset_name, dataset_digest] (trailing nulls dropped), a
    newline (compact JSON never contains one), then the packed points of each group in header order."""
    header = []
    for (key, *extras), blob in groups:
        while extras and extras[-1] is None:
            extras.pop()
        header.append([key, len(blob) // _POINT.size, *extras])
    encoded = json.dumps(header, separators=(",", ":")).encode()
    return encoded + b"\n" + b"".join(blob for _, blob in groups)


def _split(payload: bytes) -> tuple[list[list[object]], bytes]:
    header, _, body = payload.partition(b"\n")
    return json.loads(header), body


def _offsets(header: list[list[object]]) -> list[tuple[int, int]]:
    offsets, start = [], 0
    for entry in header:
        end = start + int(entry[1])  # type: ignore[call-overload]
        offsets.append((start, end))
        start = end
    return offsets


def _group(entry: list[object]) -> Group:
    key, _, *extras = [*entry, None, None, None][:5]
    model_id, dataset_name, dataset_digest = (None if value is None else str(value) for value in extras)
    return str(key), model_id, dataset_name, dataset_digest


def _group_order(name: Group) -> tuple[tuple[bool, str], ...]:
    return tuple((part is not None, part or "") for part in name)


def _sort_key(first: tuple[int, int], content: bytes) -> str:
    step, timestamp = first
    digest = hashlib.blake2b(content, digest_size=8).hexdigest()
    return f"{step + _STEP_OFFSET:020d}#{timestamp:015d}#{digest}"
