"""Runs on DynamoDB: the summary item (params, tags, latest metrics) and link items in the run's partition;
the summary is indexed by experiment over shards for search."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from trackway_backend.adapters.dynamo import batch
from trackway_backend.adapters.dynamo.index_order import IndexRange, merged_keys
from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.adapters.dynamo.run_summaries import (
    DEFAULT_MAX_RUNS,
    ChangeMark,
    ShardSummaries,
    SummaryCache,
    change_mark_item,
    mark_key,
    settled,
    shard_of,
)
from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase, transaction
from trackway_backend.adapters.dynamo.tracking_items import META, RunChangeMarkItem, RunItem, RunLinkItem, TrackingItem
from trackway_backend.adapters.dynamo.tracking_mapping import run_from_item, run_to_item
from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
from trackway_backend.domain import DATASET_CONTEXT_TAG, Dataset, DatasetInput, LifecycleStage, Run
from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.logic.clock import now_ms
from trackway_backend.ports import RunStore

_MAX_READ_CHUNK = 4_000
_T = TypeVar("_T")


class DynamoRunStore(DynamoStoreBase, RunStore):
    def __init__(
        self,
        run_index_shards: int = 16,
        deleted_retention_days: int = 30,
        policy: RetryPolicy = DEFAULT_POLICY,
        summary_cache_runs: int = DEFAULT_MAX_RUNS,
    ) -> None:
        super().__init__(run_index_shards, deleted_retention_days, policy)
        self.summaries = SummaryCache(summary_cache_runs)

    def create_run(self, run: Run) -> None:
        item = self._run_item(run)
        self._request(
            lambda: item.save(condition=RunItem.pk.does_not_exist()),
            AlreadyExists,
            f"Run '{run.run_id}' already exists",
        )

    def get_run(self, run_id: str) -> Run:
        items = self._request(lambda: list(TrackingItem.query(f"RUN#{run_id}", consistent_read=True)))
        summary = next((item for item in items if isinstance(item, RunItem)), None)
        if summary is None:
            raise NotFound(f"Run with id={run_id} not found")
        run = run_from_item(summary)
        for link in items:
            if isinstance(link, RunLinkItem):
                _attach_link(run, link.sk, link.payload)
        return run

    def get_run_summary(self, run_id: str) -> Run:
        item = self._get(RunItem, f"RUN#{run_id}", META)
        if item is None:
            raise NotFound(f"Run with id={run_id} not found")
        return run_from_item(item)

    def save_run(self, run: Run, events: Sequence[DomainEvent] = ()) -> None:
        item = self._run_item(run)
        item.revision = run.revision + 1
        condition = RunItem.revision == run.revision

        def save() -> None:
            if events:
                with transaction() as writes:
                    writes.save(item, condition=condition)
                    for event in events:
                        writes.save(outbox_item(event))
            else:
                item.save(condition=condition)

        self._request(save, Conflict, f"Run '{run.run_id}' was updated concurrently")
        run.revision += 1

    def mark_changed(self, run: Run) -> None:
        item = change_mark_item(run, self._shards)
        self._request(item.save)

    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        """Summaries kept from earlier listings where their shard's change mark is unchanged; the rest read
        through the index and kept (docs/adr/015-summary-cache.md)."""
        partitions = self._partitions(experiment_ids)
        marks = self._change_marks(partitions)
        shards = {partition: self.summaries.current(partition, marks[partition]) for partition in partitions}
        unlisted = [partition for partition, entry in shards.items() if entry is None or not entry.settled]
        if unlisted:
            shards.update(self._list_shards(unlisted, marks, {p: shards[p] for p in unlisted}))
        for entry in shards.values():
            if entry is not None:
                yield from entry.runs.values()

    def _list_shards(
        self, partitions: list[str], marks: dict[str, ChangeMark], kept: dict[str, ShardSummaries | None]
    ) -> dict[str, ShardSummaries]:
        """List these shards through the index and read the summaries not kept under the current mark."""
        listed_at = now_ms()
        known = {run_id for entry in kept.values() if entry is not None for run_id in entry.runs}
        keys = [key for key in self._index_keys(RunItem, partitions) if key[0].removeprefix("RUN#") not in known]
        fresh = {
            partition: ShardSummaries(marks[partition], dict(entry.runs) if entry else {})
            for partition, entry in kept.items()
        }
        for item in self._read_consistently(RunItem, keys):
            if item.gsi1pk in fresh:
                fresh[item.gsi1pk].runs[item.run_id] = run_from_item(item)
        for partition, entry in fresh.items():
            entry.settled = settled(marks[partition], listed_at)
            self.summaries.keep(partition, entry)
        return fresh

    def _all_kept(self, partitions: list[str]) -> list[ShardSummaries] | None:
        """The kept summaries of every partition, if all are current and settled. The marks are read only
        when every partition is kept at all, so an environment that keeps nothing pays no extra request."""
        if not all(self.summaries.holds(partition) for partition in partitions):
            return None
        marks = self._change_marks(partitions)
        kept = [self.summaries.current(partition, marks[partition]) for partition in partitions]
        settled_entries = [entry for entry in kept if entry is not None and entry.settled]
        return settled_entries if len(settled_entries) == len(partitions) else None

    def _change_marks(self, partitions: list[str]) -> dict[str, ChangeMark]:
        """The change mark of each shard, read consistently: a write that returned before this read has
        written its mark."""
        keys = [mark_key(partition) for partition in partitions]
        found = {item.pk: item for item in batch.get_all(RunChangeMarkItem, keys, self.policy)}
        self.requests += -(-len(keys) // batch.GET_BATCH_SIZE)
        marks = {}
        for partition, (pk, _) in zip(partitions, keys, strict=True):
            item = found.get(pk)
            marks[partition] = ChangeMark(item.mark, int(item.changed_at)) if item else ChangeMark()
        return marks

    def runs_by_start_time(
        self,
        experiment_ids: Iterable[str],
        descending: bool,
        after: tuple[int, str | None] | None,
        batch_size: int,
    ) -> Iterator[list[Run]]:
        partitions = self._partitions(experiment_ids)
        if not partitions:  # no experiment searched: nothing matches
            return
        kept = self._all_kept(partitions)
        if kept is not None:  # every shard kept and current: no index query, no summary read
            runs = sorted(
                (run for entry in kept for run in entry.runs.values() if _from(run, descending, after)),
                key=lambda run: run.start_time,
                reverse=descending,
            )
            yield from _whole_groups(iter(runs), batch_size, lambda run: run.start_time)
            return
        start_time, run_id = after or (None, None)
        if start_time is None:
            bound = None
        elif descending:
            bound = RunItem.gsi1sk < _start_key(start_time + 1)
        elif run_id is None:
            bound = RunItem.gsi1sk >= _start_key(start_time)
        else:
            bound = RunItem.gsi1sk > f"{_start_key(start_time)}#{run_id}"
        per_partition = max(4, 2 * -(-batch_size // len(partitions)))
        queries = [0]
        where = IndexRange("gsi1", descending, bound, per_partition)
        keys = merged_keys(RunItem, partitions, where, self.policy, queries)
        if start_time is not None and run_id is not None:  # ties of the cursor's start_time up to its run_id
            passed = f"{_start_key(start_time)}#"
            keys = (key for key in keys if not (key[0].startswith(passed) and key[0][len(passed) :] <= run_id))
        try:
            for chunk in _whole_groups(keys, batch_size, lambda key: key[0].partition("#")[0]):
                keys_read = [(pk, sk) for _, pk, sk in chunk]
                yield [run_from_item(item) for item in self._read_consistently(RunItem, keys_read)]
        finally:
            self.requests += queries[0]

    def _partitions(self, experiment_ids: Iterable[str]) -> list[str]:
        return [f"RUNS#{exp}#{shard}" for exp in experiment_ids for shard in range(self._shards)]

    def with_dataset_inputs(self, runs: list[Run]) -> list[Run]:
        keys = [(f"RUN#{run.run_id}", _input_key(*key)) for run in runs for key in run.dataset_keys]
        if not keys:
            return runs
        found = {(item.pk, item.sk): item for item in self._read_consistently(RunLinkItem, keys)}
        with_inputs = []
        for run in runs:
            links = [found.get((f"RUN#{run.run_id}", _input_key(*key))) for key in run.dataset_keys]
            inputs = [_dataset_input(link.payload) for link in links if link is not None]
            with_inputs.append(replace(run, inputs=inputs) if inputs else run)
        return with_inputs

    def add_run_inputs(self, run_id: str, datasets: list[DatasetInput], model_ids: list[str]) -> None:
        links = [
            RunLinkItem(
                pk=f"RUN#{run_id}",
                sk=_input_key(entry.dataset.name, entry.dataset.digest, entry.tags.get(DATASET_CONTEXT_TAG)),
                payload={"dataset": asdict(entry.dataset), "tags": entry.tags},
            )
            for entry in datasets
        ]
        links += [RunLinkItem(pk=f"RUN#{run_id}", sk=f"MODELIN#{model_id}", payload={}) for model_id in model_ids]
        self.requests += batch.put_all(RunLinkItem, links, self.policy)

    def add_run_outputs(self, run_id: str, outputs: list[tuple[str, int]]) -> None:
        links = [
            RunLinkItem(pk=f"RUN#{run_id}", sk=f"OUTPUT#{model_id}", payload={"step": step})
            for model_id, step in outputs
        ]
        self.requests += batch.put_all(RunLinkItem, links, self.policy)

    def _run_item(self, run: Run) -> RunItem:
        item = run_to_item(run, gsi1pk=f"RUNS#{run.experiment_id}#{shard_of(run.run_id, self._shards)}")
        if run.lifecycle_stage is LifecycleStage.DELETED:
            item.expires_at = _utc_in(self._retention_seconds)
        return item


def _attach_link(run: Run, sort_key: str, payload: dict) -> None:  # type: ignore[type-arg]
    kind, _, rest = sort_key.partition("#")
    if kind == "INPUT":
        run.inputs.append(_dataset_input(payload))
    elif kind == "MODELIN":
        run.model_inputs.append(rest)
    elif kind == "OUTPUT":
        run.model_outputs.append((rest, int(payload.get("step", 0))))


def _input_key(name: str, digest: str, context: str | None) -> str:
    """The sort key of a dataset input's link item; a run's summary holds (name, digest, context)."""
    return f"INPUT#{digest}#{name}#{context or ''}"


def _dataset_input(payload: dict) -> DatasetInput:  # type: ignore[type-arg]
    return DatasetInput(Dataset(**payload["dataset"]), payload.get("tags", {}))


def _whole_groups(items: Iterator[_T], first_size: int, group: Callable[[_T], object]) -> Iterator[list[_T]]:
    """Chunks of `items`, the first of `first_size` and each next one twice as big (a selective filter
    needs more rows per page; up to a bound), that never split a group (the runs of one start_time): a chunk
    ends after the last item of its last item's group."""
    size = first_size
    pending = next(items, None)
    while pending is not None:
        chunk = [pending]
        pending = next(items, None)
        while pending is not None and (len(chunk) < size or group(pending) == group(chunk[-1])):
            chunk.append(pending)
            pending = next(items, None)
        yield chunk
        size = min(2 * size, _MAX_READ_CHUNK)


def _from(run: Run, descending: bool, after: tuple[int, str | None] | None) -> bool:
    """Whether `run` is at or past `after` in start_time order, as runs_by_start_time defines it."""
    if after is None:
        return True
    start_time, run_id = after
    if run.start_time != start_time:
        return run.start_time < start_time if descending else run.start_time > start_time
    return run_id is None or run.run_id > run_id


def _start_key(start_time: int) -> str:
    """The prefix of the index sort keys of runs started at `start_time` (run_to_item's gsi1sk)."""
    return f"{start_time:015d}"


def _utc_in(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
