"""Run summaries kept between searches, per index shard, and the change marks that say when to read them
again (docs/adr/015-summary-cache.md).

Every write that changes a run summary then writes its shard's change mark: a new random `mark` and the
time. A listing reads the marks of the shards it needs (one consistent BatchGetItem for up to 100 shards)
and reuses the summaries it read under the same mark; a shard whose mark changed is read again. A shard
whose last change is younger than the index's propagation bound is listed again on each search (the index
may not hold a run created just before the mark was written), and only the runs it did not hold are read.
"""

from __future__ import annotations

import threading
import time
import uuid
import zlib
from collections import OrderedDict
from dataclasses import dataclass, field

from trackway_backend.adapters.dynamo.tracking_items import RunChangeMarkItem
from trackway_backend.domain import Run
from trackway_backend.logic.clock import now_ms

# How long DynamoDB may take to show a new run in the (eventually consistent) index. Propagation is
# typically well under a second; a shard younger than this is listed again on each search.
INDEX_LAG_MS = 10_000
# Summaries older than this are read again even if their mark did not change: a writer that died between
# its summary and its mark leaves a stale shard for at most this long, and runs purged by TTL leave.
MAX_AGE_SECONDS = 300.0
DEFAULT_MAX_RUNS = 25_000
MARK = "#MARK"


@dataclass(frozen=True)
class ChangeMark:
    """The last change in one shard, as its mark item says (None: no change since marks exist)."""

    mark: str | None = None
    changed_at_ms: int = 0


@dataclass
class ShardSummaries:
    """The summaries of one shard read under `mark`, by run id; `settled` once the listing that found them
    began after the index had time to hold every run created up to the mark."""

    mark: ChangeMark
    runs: dict[str, Run] = field(default_factory=dict)
    read_at: float = field(default_factory=time.monotonic)
    settled: bool = False


class SummaryCache:
    """Shards of summaries, least recently used first, holding at most `max_runs` runs in total. Entries are
    replaced whole, never changed in place, so readers on other threads see one consistent shard."""

    def __init__(self, max_runs: int = DEFAULT_MAX_RUNS, max_age_seconds: float = MAX_AGE_SECONDS) -> None:
        self.max_runs = max_runs
        self.max_age_seconds = max_age_seconds
        self._shards: OrderedDict[str, ShardSummaries] = OrderedDict()
        self._runs = 0
        self._lock = threading.Lock()

    def current(self, partition: str, mark: ChangeMark) -> ShardSummaries | None:
        """The shard's summaries if they were read under `mark` and are not too old."""
        with self._lock:
            entry = self._shards.get(partition)
            if entry is None or entry.mark != mark or time.monotonic() - entry.read_at > self.max_age_seconds:
                return None
            self._shards.move_to_end(partition)
            return entry

    def keep(self, partition: str, entry: ShardSummaries) -> None:
        with self._lock:
            old = self._shards.pop(partition, None)
            self._runs -= len(old.runs) if old else 0
            if len(entry.runs) > self.max_runs:
                return
            self._shards[partition] = entry
            self._runs += len(entry.runs)
            while self._runs > self.max_runs:
                _, evicted = self._shards.popitem(last=False)
                self._runs -= len(evicted.runs)

    def holds(self, partition: str) -> bool:
        """Whether the shard is kept at all, under whatever mark (no I/O: a cheap first check)."""
        with self._lock:
            return partition in self._shards

    @property
    def kept_runs(self) -> int:
        with self._lock:
            return self._runs


def shard_of(run_id: str, shards: int) -> int:
    """The index shard of a run (part of its index key: it must never change for a stored run)."""
    return zlib.crc32(run_id.encode()) % shards


def mark_key(partition: str) -> tuple[str, str]:
    """The key of the change mark of index partition `RUNS#<exp>#<shard>`."""
    return f"RUNMARK#{partition.removeprefix('RUNS#')}", MARK


def change_mark_item(run: Run, shards: int) -> RunChangeMarkItem:
    """A new mark for the shard of `run`: written after the run's summary changed."""
    pk, sk = mark_key(f"RUNS#{run.experiment_id}#{shard_of(run.run_id, shards)}")
    return RunChangeMarkItem(pk=pk, sk=sk, mark=uuid.uuid4().hex, changed_at=now_ms())


def settled(mark: ChangeMark, listed_at_ms: int) -> bool:
    """Whether a listing that began at `listed_at_ms` found every run created up to `mark`."""
    return mark.mark is None or listed_at_ms - mark.changed_at_ms >= INDEX_LAG_MS
