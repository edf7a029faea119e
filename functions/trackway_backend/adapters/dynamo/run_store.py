"""Runs on DynamoDB: the summary item (params, tags, latest metrics) and link items in the run's partition;
the summary is indexed by experiment over shards for search."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from trackway_backend.adapters.dynamo import batch
from trackway_backend.adapters.dynamo.index_order import IndexKey, IndexRange, merged_keys
from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase, transaction
from trackway_backend.adapters.dynamo.tracking_items import META, RunItem, RunLinkItem, TrackingItem
from trackway_backend.adapters.dynamo.tracking_mapping import run_from_item, run_to_item
from trackway_backend.domain import Dataset, DatasetInput, LifecycleStage, Run
from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.ports import RunStore

_MAX_READ_CHUNK = 4_000


class DynamoRunStore(DynamoStoreBase, RunStore):
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

    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        keys = self._index_keys(RunItem, self._partitions(experiment_ids))
        for item in self._read_consistently(RunItem, keys):
            yield run_from_item(item)

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
            for chunk in _whole_start_times(keys, batch_size):
                yield [run_from_item(item) for item in self._read_consistently(RunItem, chunk)]
        finally:
            self.requests += queries[0]

    def _partitions(self, experiment_ids: Iterable[str]) -> list[str]:
        return [f"RUNS#{exp}#{shard}" for exp in experiment_ids for shard in range(self._shards)]

    def add_run_inputs(self, run_id: str, datasets: list[DatasetInput], model_ids: list[str]) -> None:
        links = [
            RunLinkItem(
                pk=f"RUN#{run_id}",
                sk=f"INPUT#{entry.dataset.digest}#{entry.dataset.name}#{entry.tags.get('mlflow.data.context', '')}",
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
        shard = zlib.crc32(run.run_id.encode()) % self._shards
        item = run_to_item(run, gsi1pk=f"RUNS#{run.experiment_id}#{shard}")
        if run.lifecycle_stage is LifecycleStage.DELETED:
            item.expires_at = _utc_in(self._retention_seconds)
        return item


def _attach_link(run: Run, sort_key: str, payload: dict) -> None:  # type: ignore[type-arg]
    kind, _, rest = sort_key.partition("#")
    if kind == "INPUT":
        run.inputs.append(DatasetInput(Dataset(**payload["dataset"]), payload.get("tags", {})))
    elif kind == "MODELIN":
        run.model_inputs.append(rest)
    elif kind == "OUTPUT":
        run.model_outputs.append((rest, int(payload.get("step", 0))))


def _whole_start_times(keys: Iterator[IndexKey], first_size: int) -> Iterator[list[tuple[str, str]]]:
    """Chunks of table keys, the first of `first_size` and each next one twice as big (a selective filter
    needs more rows per page; up to a bound), that never split the runs of one start_time: a chunk ends
    after the last run started when its last run did."""
    size = first_size
    pending = next(keys, None)
    while pending is not None:
        chunk = [pending]
        pending = next(keys, None)
        while pending is not None and (
            len(chunk) < size or pending[0].partition("#")[0] == chunk[-1][0].partition("#")[0]
        ):
            chunk.append(pending)
            pending = next(keys, None)
        yield [(pk, sk) for _, pk, sk in chunk]
        size = min(2 * size, _MAX_READ_CHUNK)


def _start_key(start_time: int) -> str:
    """The prefix of the index sort keys of runs started at `start_time` (run_to_item's gsi1sk)."""
    return f"{start_time:015d}"


def _utc_in(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
