"""TrackingStore on DynamoDB with pynamodb."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.transactions import TransactWrite

from trackway_backend.adapters.dynamo import batch, history_chunks
from trackway_backend.adapters.dynamo.errors import failed_conditions, translated
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
from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
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
from trackway_backend.errors import AlreadyExists, Conflict, InvalidParameter, NotFound, TrackwayError
from trackway_backend.events import DomainEvent
from trackway_backend.ports import TrackingStore

_SECONDS_PER_DAY = 86_400
_Item = TypeVar("_Item", bound=TrackingItem)
_T = TypeVar("_T")
_KEYS_ONLY = ["pk", "sk", "kind"]


class DynamoTrackingStore(TrackingStore):
    """Every read a write must be visible to is a consistent read: listings go through the index for the
    keys, then read the items themselves consistently. Every request is retried under `policy` while
    DynamoDB throttles it, and every conditional save raises `Conflict` for the caller's policy to retry."""

    def __init__(
        self, run_index_shards: int = 16, deleted_retention_days: int = 30, policy: RetryPolicy = DEFAULT_POLICY
    ) -> None:
        self._shards = run_index_shards
        self._retention_seconds = deleted_retention_days * _SECONDS_PER_DAY
        self.policy = policy
        self.requests = 0  # DynamoDB requests made; read by tests and benchmarks

    def _request(self, call: Callable[[], _T], conflict: type[TrackwayError] = Conflict, message: str = "") -> _T:
        """One DynamoDB request, translated to domain errors and retried while throttled."""

        def attempt() -> _T:
            with translated(conflict, message or "Concurrent update"):
                return call()

        result = self.policy.request(attempt)
        self.requests += 1
        return result

    # experiments
    def next_experiment_id(self) -> str:
        counter = CounterItem(pk="COUNTER#experiment", sk="#COUNTER")
        self._request(lambda: counter.update(actions=[CounterItem.value.add(1), CounterItem.kind.set(CounterItem)]))
        return str(counter.value)

    def create_experiment(self, experiment: Experiment) -> None:
        name_item = ExperimentNameItem(
            pk=f"EXPNAME#{experiment.name}", sk="#NAME", experiment_id=experiment.experiment_id
        )

        def create() -> None:
            with _transaction() as transaction:
                transaction.save(name_item, condition=ExperimentNameItem.pk.does_not_exist())
                transaction.save(experiment_to_item(experiment), condition=ExperimentItem.pk.does_not_exist())

        self._request(create, AlreadyExists, f"Experiment '{experiment.name}' already exists.")

    def get_experiment(self, experiment_id: str) -> Experiment:
        item = self._get(ExperimentItem, f"EXP#{experiment_id}", META)
        if item is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return experiment_from_item(item)

    def find_experiment_id(self, name: str) -> str | None:
        item = self._get(ExperimentNameItem, f"EXPNAME#{name}", "#NAME")
        return None if item is None else item.experiment_id

    def save_experiment(self, experiment: Experiment, previous_name: str | None = None) -> None:
        item = experiment_to_item(experiment)
        item.revision = experiment.revision + 1
        condition = _at_revision(ExperimentItem.revision, experiment.revision)
        concurrent = f"Experiment {experiment.experiment_id} was updated concurrently"
        if previous_name is None or previous_name == experiment.name:
            self._request(lambda: item.save(condition=condition), Conflict, concurrent)
        else:
            self._rename_experiment(item, condition, previous_name)
        experiment.revision += 1

    def _rename_experiment(self, item: ExperimentItem, condition: Any, previous_name: str) -> None:
        """Move the name and save the experiment in one transaction: the name index never disagrees."""
        old_name = ExperimentNameItem(pk=f"EXPNAME#{previous_name}", sk="#NAME")
        new_name = ExperimentNameItem(pk=f"EXPNAME#{item.name}", sk="#NAME", experiment_id=item.experiment_id)

        def rename() -> None:
            try:
                with _transaction() as transaction:
                    transaction.delete(old_name)
                    transaction.save(new_name, condition=ExperimentNameItem.pk.does_not_exist())
                    transaction.save(item, condition=condition)
            except PynamoDBException as exc:
                if 1 in failed_conditions(exc):
                    raise AlreadyExists(f"Experiment '{item.name}' already exists.") from exc
                raise

        self._request(rename, Conflict, f"Experiment {item.experiment_id} was updated concurrently")

    def list_experiments(self) -> Iterator[Experiment]:
        keys = self._index_keys(ExperimentItem, ["EXPERIMENTS"])
        for item in self._read_consistently(ExperimentItem, keys):
            yield experiment_from_item(item)

    # runs
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
                with _transaction() as transaction:
                    transaction.save(item, condition=condition)
                    for event in events:
                        transaction.save(outbox_item(event))
            else:
                item.save(condition=condition)

        self._request(save, Conflict, f"Run '{run.run_id}' was updated concurrently")
        run.revision += 1

    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        partitions = [f"RUNS#{exp}#{shard}" for exp in experiment_ids for shard in range(self._shards)]
        keys = self._index_keys(RunItem, partitions)
        for item in self._read_consistently(RunItem, keys):
            yield run_from_item(item)

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

    # logged models
    def create_logged_model(self, model: LoggedModel) -> None:
        item = logged_model_to_item(model)
        self._request(
            lambda: item.save(condition=LoggedModelItem.pk.does_not_exist()),
            AlreadyExists,
            f"Logged model '{model.model_id}' already exists",
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        item = self._get(LoggedModelItem, f"LM#{model_id}", META)
        if item is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return logged_model_from_item(item)

    def save_logged_model(self, model: LoggedModel) -> None:
        item = logged_model_to_item(model)
        item.revision = model.revision + 1
        condition = _at_revision(LoggedModelItem.revision, model.revision)
        self._request(
            lambda: item.save(condition=condition),
            Conflict,
            f"Logged model '{model.model_id}' was updated concurrently",
        )
        model.revision += 1

    def list_logged_models(self, experiment_ids: Iterable[str]) -> Iterator[LoggedModel]:
        keys = self._index_keys(LoggedModelItem, [f"LMS#{experiment_id}" for experiment_id in experiment_ids])
        for item in self._read_consistently(LoggedModelItem, keys):
            yield logged_model_from_item(item)

    def _get(self, model: type[_Item], pk: str, sk: str) -> _Item | None:
        """One item by key, read consistently, or None."""

        def get() -> _Item | None:
            try:
                return model.get(pk, sk, consistent_read=True)
            except DoesNotExist:
                return None

        return self._request(get)

    def _index_keys(self, model: type[TrackingItem], partitions: list[str]) -> list[tuple[str, str]]:
        """The table keys of the items in these index partitions, in index order. The index is eventually
        consistent, so only the keys come from it; callers read the items themselves consistently."""

        def query(partition: str) -> list[tuple[str, str]]:
            items = self._request(
                lambda: list(model.by_collection.query(partition, attributes_to_get=_KEYS_ONLY))  # type: ignore[attr-defined]
            )
            return [(item.pk, item.sk) for item in items]

        if len(partitions) <= 1:
            return [key for partition in partitions for key in query(partition)]
        with ThreadPoolExecutor(max_workers=min(16, len(partitions))) as pool:
            return [key for keys in pool.map(query, partitions) for key in keys]

    def _read_consistently(self, model: type[_Item], keys: list[tuple[str, str]]) -> list[_Item]:
        """The items with these keys, in the keys' order, read consistently; items gone since are skipped."""
        found = {(item.pk, item.sk): item for item in batch.get_all(model, keys, self.policy)}
        self.requests += -(-len(keys) // batch.GET_BATCH_SIZE)
        return [found[key] for key in keys if key in found]

    def _run_item(self, run: Run) -> RunItem:
        shard = zlib.crc32(run.run_id.encode()) % self._shards
        item = run_to_item(run, gsi1pk=f"RUNS#{run.experiment_id}#{shard}")
        if run.lifecycle_stage is LifecycleStage.DELETED:
            item.expires_at = _utc_in(self._retention_seconds)
        return item


def _at_revision(attribute: Any, revision: int) -> Any:
    """The save condition of an optimistic write; items stored before revisions existed count as 0."""
    condition = attribute == revision
    return condition | attribute.does_not_exist() if revision == 0 else condition


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
