"""TrackingStore on DynamoDB with pynamodb."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from trackway_backend.adapters.dynamo import batch, history_chunks
from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.adapters.dynamo.tracking_items import (
    META,
    CounterItem,
    ExperimentItem,
    ExperimentNameItem,
    LoggedModelItem,
    MetricChunkItem,
    RunItem,
    RunLinkItem,
    TrackingItem,
)
from trackway_backend.adapters.dynamo.tracking_mapping import (
    experiment_from_item,
    experiment_to_item,
    logged_model_from_item,
    logged_model_to_item,
    run_from_item,
    run_to_item,
)
from trackway_backend.domain import (
    Dataset,
    DatasetInput,
    Experiment,
    LifecycleStage,
    LoggedModel,
    Metric,
    Page,
    Run,
)
from trackway_backend.errors import AlreadyExists, InvalidParameter, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.ports import TrackingStore

_SECONDS_PER_DAY = 86_400
_Item = TypeVar("_Item", bound=TrackingItem)


class DynamoTrackingStore(TrackingStore):
    def __init__(self, run_index_shards: int = 16, deleted_retention_days: int = 30) -> None:
        self._shards = run_index_shards
        self._retention_seconds = deleted_retention_days * _SECONDS_PER_DAY
        self.requests = 0  # DynamoDB requests made; read by tests and benchmarks

    # experiments
    def next_experiment_id(self) -> str:
        counter = CounterItem(pk="COUNTER#experiment", sk="#COUNTER")
        with translated():
            counter.update(actions=[CounterItem.value.add(1), CounterItem.kind.set(CounterItem)])
        self.requests += 1
        return str(counter.value)

    def create_experiment(self, experiment: Experiment) -> None:
        name_item = ExperimentNameItem(
            pk=f"EXPNAME#{experiment.name}", sk="#NAME", experiment_id=experiment.experiment_id
        )
        message = f"Experiment '{experiment.name}' already exists."
        with translated(AlreadyExists, message), _transaction() as transaction:
            transaction.save(name_item, condition=ExperimentNameItem.pk.does_not_exist())
            transaction.save(experiment_to_item(experiment), condition=ExperimentItem.pk.does_not_exist())
        self.requests += 1

    def get_experiment(self, experiment_id: str) -> Experiment:
        item = self._get(ExperimentItem, f"EXP#{experiment_id}", META)
        if item is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return experiment_from_item(item)

    def find_experiment_id(self, name: str) -> str | None:
        item = self._get(ExperimentNameItem, f"EXPNAME#{name}", "#NAME")
        return None if item is None else item.experiment_id

    def save_experiment(self, experiment: Experiment, previous_name: str | None = None) -> None:
        if previous_name is None or previous_name == experiment.name:
            with translated():
                experiment_to_item(experiment).save()
            self.requests += 1
            return
        old_name = ExperimentNameItem(pk=f"EXPNAME#{previous_name}", sk="#NAME")
        new_name = ExperimentNameItem(
            pk=f"EXPNAME#{experiment.name}", sk="#NAME", experiment_id=experiment.experiment_id
        )
        message = f"Experiment '{experiment.name}' already exists."
        with translated(AlreadyExists, message), _transaction() as transaction:
            transaction.delete(old_name)
            transaction.save(new_name, condition=ExperimentNameItem.pk.does_not_exist())
            transaction.save(experiment_to_item(experiment))
        self.requests += 1

    def list_experiments(self) -> Iterator[Experiment]:
        with translated():
            for item in ExperimentItem.by_collection.query("EXPERIMENTS"):
                yield experiment_from_item(item)  # type: ignore[arg-type]

    # runs
    def create_run(self, run: Run) -> None:
        with translated(AlreadyExists, f"Run '{run.run_id}' already exists"):
            self._run_item(run).save(condition=RunItem.pk.does_not_exist())
        self.requests += 1

    def get_run(self, run_id: str) -> Run:
        with translated():
            items = list(TrackingItem.query(f"RUN#{run_id}"))
        self.requests += 1
        summary = next((item for item in items if isinstance(item, RunItem)), None)
        if summary is None:
            raise NotFound(f"Run with id={run_id} not found")
        run = run_from_item(summary)
        for link in items:
            if isinstance(link, RunLinkItem):
                _attach_link(run, link.sk, link.payload)
        return run

    def save_run(self, run: Run, events: Sequence[DomainEvent] = ()) -> None:
        item = self._run_item(run)
        item.revision = run.revision + 1
        condition = RunItem.revision == run.revision
        with translated(message=f"Run '{run.run_id}' was updated concurrently; retry"):
            if events:
                with _transaction() as transaction:
                    transaction.save(item, condition=condition)
                    for event in events:
                        transaction.save(outbox_item(event))
            else:
                item.save(condition=condition)
        self.requests += 1
        run.revision += 1

    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        partitions = [f"RUNS#{exp}#{shard}" for exp in experiment_ids for shard in range(self._shards)]

        def query(partition: str) -> list[Run]:
            with translated():
                return [run_from_item(item) for item in RunItem.by_collection.query(partition)]  # type: ignore[arg-type]

        with ThreadPoolExecutor(max_workers=min(16, max(1, len(partitions)))) as pool:
            for runs in pool.map(query, partitions):
                self.requests += 1
                yield from runs

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
        self.requests += batch.put_all(RunLinkItem, links)

    def add_run_outputs(self, run_id: str, outputs: list[tuple[str, int]]) -> None:
        links = [
            RunLinkItem(pk=f"RUN#{run_id}", sk=f"OUTPUT#{model_id}", payload={"step": step})
            for model_id, step in outputs
        ]
        self.requests += batch.put_all(RunLinkItem, links)

    # metric history
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
        self.requests += batch.put_all(MetricChunkItem, chunks)

    def history(self, run_id: str, key: str, page_token: str | None, max_results: int) -> Page[Metric]:
        start_sk, skip = _decode_history_token(page_token)
        condition = MetricChunkItem.sk >= start_sk if start_sk else None
        points: list[Metric] = []
        with translated():
            for chunk in MetricChunkItem.query(f"HIST#{run_id}#{key}", condition):
                unpacked = history_chunks.unpack(chunk.points)
                first = skip if chunk.sk == start_sk else 0
                for index in range(first, len(unpacked)):
                    if len(points) == max_results:
                        return Page(points, _encode_history_token(chunk.sk, index))
                    step, timestamp, value = unpacked[index]
                    points.append(
                        Metric(
                            key,
                            value,
                            timestamp,
                            step,
                            chunk.model_id,
                            chunk.dataset_name,
                            chunk.dataset_digest,
                        )
                    )
        self.requests += 1
        return Page(points)

    # logged models
    def create_logged_model(self, model: LoggedModel) -> None:
        with translated(AlreadyExists, f"Logged model '{model.model_id}' already exists"):
            logged_model_to_item(model).save(condition=LoggedModelItem.pk.does_not_exist())
        self.requests += 1

    def get_logged_model(self, model_id: str) -> LoggedModel:
        item = self._get(LoggedModelItem, f"LM#{model_id}", META)
        if item is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return logged_model_from_item(item)

    def save_logged_model(self, model: LoggedModel) -> None:
        with translated():
            logged_model_to_item(model).save()
        self.requests += 1

    def list_logged_models(self, experiment_ids: Iterable[str]) -> Iterator[LoggedModel]:
        with translated():
            for experiment_id in experiment_ids:
                for item in LoggedModelItem.by_collection.query(f"LMS#{experiment_id}"):
                    yield logged_model_from_item(item)  # type: ignore[arg-type]

    def _get(self, model: type[_Item], pk: str, sk: str) -> _Item | None:
        """One item by key, or None."""
        self.requests += 1
        try:
            with translated():
                return model.get(pk, sk)
        except DoesNotExist:
            return None

    def _run_item(self, run: Run) -> RunItem:
        shard = zlib.crc32(run.run_id.encode()) % self._shards
        item = run_to_item(run, gsi1pk=f"RUNS#{run.experiment_id}#{shard}")
        if run.lifecycle_stage is LifecycleStage.DELETED:
            item.expires_at = _utc_in(self._retention_seconds)
        return item


def _transaction() -> TransactWrite:
    meta: Any = TrackingItem.Meta
    return TransactWrite(connection=_connection(meta.region, meta.host))


@lru_cache(maxsize=4)
def _connection(region: str, host: str | None) -> Connection:
    """One connection (and botocore client) per container for transactions; creating one costs ~50 ms."""
    return Connection(region=region, host=host)


def _attach_link(run: Run, sort_key: str, payload: dict) -> None:  # type: ignore[type-arg]
    kind, _, rest = sort_key.partition("#")
    if kind == "INPUT":
        run.inputs.append(DatasetInput(Dataset(**payload["dataset"]), payload.get("tags", {})))
    elif kind == "MODELIN":
        run.model_inputs.append(rest)
    elif kind == "OUTPUT":
        run.model_outputs.append((rest, int(payload.get("step", 0))))


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


def _utc_in(seconds: int) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)
