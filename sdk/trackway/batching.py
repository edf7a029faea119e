"""Turn queued log calls into log-batch bodies within the server's limits (MLFLOW_WIRE.md §3).

Limits per request: ≤1000 metrics, ≤100 params, ≤100 tags, ≤1000 entries in all, body ≤1 MB. Params
and tags travel in their own requests so a rejected param (params are immutable) never takes metrics
down with it, and one key never appears twice in a request (the server rejects duplicate params).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_METRICS = 1000
MAX_PARAMS = 100
MAX_TAGS = 100
MAX_BODY_BYTES = 900_000  # under the server's 1e6, leaving room for run_id and framing

Entry = dict[str, Any]


def metric_entry(key: str, value: float, timestamp: int, step: int) -> Entry:
    """A metric as the wire wants it: NaN and ±Inf as the strings "NaN", "Infinity", "-Infinity"."""
    if not math.isfinite(value):
        wire: float | str = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return {"key": key, "value": wire, "timestamp": timestamp, "step": step}
    return {"key": key, "value": value, "timestamp": timestamp, "step": step}


def _upper_bound(entries: list[Entry]) -> int:
    # json.dumps escapes non-ASCII as \uXXXX: at most 6 bytes per char (12 for surrogate pairs, which
    # count as 2 chars in UTF-16 but 1 in Python; 12 > 6*1, so use 12 to stay an upper bound).
    return sum(12 * (len(e["key"]) + len(str(e.get("value", "")))) + 80 for e in entries)


def _fits(run_id: str, field: str, entries: list[Entry]) -> bool:
    if _upper_bound(entries) < MAX_BODY_BYTES:
        return True
    return len(json.dumps({"run_id": run_id, field: entries})) < MAX_BODY_BYTES


def _split(run_id: str, field: str, entries: list[Entry], limit: int) -> list[list[Entry]]:
    """Chunks of ≤limit entries whose JSON body fits; a chunk too big is halved until it fits."""
    chunks: list[list[Entry]] = []
    pending = [entries[i : i + limit] for i in range(0, len(entries), limit)]
    while pending:
        chunk = pending.pop(0)
        if len(chunk) > 1 and not _fits(run_id, field, chunk):
            half = len(chunk) // 2
            pending[:0] = [chunk[:half], chunk[half:]]
        else:
            chunks.append(chunk)
    return chunks


def _unique_key_rounds(entries: list[Entry]) -> list[list[Entry]]:
    """Spread entries over rounds so no key repeats within a round; exact repeats are dropped."""
    rounds: list[list[Entry]] = []
    seen: list[dict[str, str]] = []
    for entry in entries:
        for index, keys in enumerate(seen):
            if keys.get(entry["key"]) == entry["value"]:
                break
            if entry["key"] not in keys:
                keys[entry["key"]] = entry["value"]
                rounds[index].append(entry)
                break
        else:
            seen.append({entry["key"]: entry["value"]})
            rounds.append([entry])
    return rounds


def _last_per_key(entries: list[Entry]) -> list[Entry]:
    return list({entry["key"]: entry for entry in entries}.values())


def build_bodies(run_id: str, metrics: list[Entry], params: list[Entry], tags: list[Entry]) -> list[Entry]:
    """log-batch request bodies for one run, in order: params, then tags, then metrics."""
    chunks: list[tuple[str, list[Entry]]] = []
    for round_ in _unique_key_rounds(params):
        chunks += [("params", c) for c in _split(run_id, "params", round_, MAX_PARAMS)]
    chunks += [("tags", c) for c in _split(run_id, "tags", _last_per_key(tags), MAX_TAGS)]
    chunks += [("metrics", c) for c in _split(run_id, "metrics", metrics, MAX_METRICS)]
    return [{"run_id": run_id, "metrics": [], "params": [], "tags": [], field: c} for field, c in chunks]


def entry_count(body: Entry) -> int:
    """How many metrics, params and tags a log-batch body carries."""
    return sum(len(body.get(field) or []) for field in ("metrics", "params", "tags"))


def halves(body: Entry) -> list[Entry]:
    """Split a body with more than one entry in two (to isolate an entry the server rejects)."""
    for field in ("params", "tags", "metrics"):
        entries = body.get(field) or []
        if len(entries) > 1:
            mid = len(entries) // 2
            return [{**body, field: entries[:mid]}, {**body, field: entries[mid:]}]
    return []
