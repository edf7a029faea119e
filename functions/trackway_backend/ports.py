"""The ports: storage of the tracking and registry domains, and the event bus. Primitives are abstract;
adapters implement them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from trackway_backend.concurrency import DEFAULT_POLICY, RetryPolicy
from trackway_backend.domain import DatasetInput, Experiment, LoggedModel, Metric, Page, Run
from trackway_backend.events import DomainEvent
from trackway_backend.registry_domain import ModelVersion, RegisteredModel


class PolicyStore(ABC):  # noqa: B024 (the shared contract and policy of the four stores)
    """Getters raise `NotFound` for a missing entity unless they say they return None, and read consistently:
    a write that returned is visible to every read after it. Savers of an existing entity are conditional
    on the revision it was read at and raise `Conflict` when another writer got there first; callers
    re-read and retry under `policy`, the one concurrency policy (concurrency.py).
    """

    policy: RetryPolicy = DEFAULT_POLICY


class ExperimentStore(PolicyStore):
    @abstractmethod
    def next_experiment_id(self) -> str: ...

    @abstractmethod
    def create_experiment(self, experiment: Experiment) -> None:
        """Raises `AlreadyExists` when the name is taken."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment: ...

    @abstractmethod
    def find_experiment_id(self, name: str) -> str | None:
        """The id of the experiment with this name, or None."""

    @abstractmethod
    def save_experiment(self, experiment: Experiment, previous_name: str | None = None) -> None:
        """Overwrite an experiment if its stored revision is still `experiment.revision`, then bump it;
        `previous_name` moves the name of a renamed one in the same write (`AlreadyExists` if taken)."""

    @abstractmethod
    def list_experiments(self) -> Iterator[Experiment]: ...


class RunStore(PolicyStore):
    @abstractmethod
    def create_run(self, run: Run) -> None: ...

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def get_run_summary(self, run_id: str) -> Run:
        """The run without its inputs and outputs: what a read-modify-write of the summary needs."""

    @abstractmethod
    def save_run(self, run: Run, events: Sequence[DomainEvent] = ()) -> None:
        """Write the run summary, with `events` in the same transaction, if its stored revision is still
        `run.revision`; then bump it."""

    @abstractmethod
    def mark_changed(self, run: Run) -> None:
        """Record that `run`'s summary changed, once the change is stored: listings that keep summaries
        between calls read again what changed."""

    @abstractmethod
    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        """Run summaries (without inputs and outputs) of the given experiments, as they are once every
        change marked before the call (`mark_changed`)."""

    @abstractmethod
    def runs_by_start_time(
        self,
        experiment_ids: Iterable[str],
        descending: bool,
        after: tuple[int, str | None] | None,
        batch_size: int,
    ) -> Iterator[list[Run]]:
        """Run summaries of the given experiments in start_time order, from the runs started at
        `after = (start_time, run_id)` on (None: from the first; with a run_id, the runs started then with
        a run_id up to it are left out), in chunks read lazily: the first of about `batch_size` runs, then
        bigger ones. A chunk holds every run of the start_times it holds (ties in any order), so a caller
        that stops after a chunk has seen whole tie groups and paid for about what it consumed. Keys come
        from an index; the summaries themselves are read consistently."""

    @abstractmethod
    def with_dataset_inputs(self, runs: list[Run]) -> list[Run]:
        """`runs` with their dataset inputs (search reads summaries, which hold only the inputs' keys); runs
        with none are returned as they are, the others as copies."""

    @abstractmethod
    def add_run_inputs(self, run_id: str, datasets: list[DatasetInput], model_ids: list[str]) -> None: ...

    @abstractmethod
    def add_run_outputs(self, run_id: str, outputs: list[tuple[str, int]]) -> None: ...


class MetricHistoryStore(PolicyStore):
    @abstractmethod
    def append_history(self, run_id: str, metrics: list[Metric], changed: Run | None = None) -> None:
        """Store points; storing the same points again changes nothing. `changed`: a run whose summary
        change is marked in the same request (as `RunStore.mark_changed` does)."""

    @abstractmethod
    def history(self, run_id: str, key: str, page_token: str | None, max_results: int) -> Page[Metric]: ...


class LoggedModelStore(PolicyStore):
    @abstractmethod
    def create_logged_model(self, model: LoggedModel) -> None: ...

    @abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    @abstractmethod
    def save_logged_model(self, model: LoggedModel) -> None:
        """Overwrite a logged model if its stored revision is still `model.revision`, then bump it."""

    @abstractmethod
    def list_logged_models(self, experiment_ids: Iterable[str]) -> Iterator[LoggedModel]: ...


class TrackingStore(ExperimentStore, RunStore, MetricHistoryStore, LoggedModelStore):
    """The four tracking aggregates, stored together (one table in DynamoDB)."""


@dataclass
class RegistryChange:
    """One committed change of a registered model: the model's new state, the versions it writes or
    removes, and the events that describe it, all in one transaction."""

    model: RegisteredModel
    versions: list[ModelVersion] = field(default_factory=list)
    created_version: ModelVersion | None = None
    deleted_versions: list[int] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list)
    previous_name: str | None = None
    delete_model: bool = False


class RegistryStore(PolicyStore):
    """Registered models and their versions.

    Getters raise `NotFound` for a missing entity unless they say otherwise. Every write of an existing
    model is conditional on the `revision` it was read at and raises `Conflict` when another writer got
    there first; the caller re-reads and retries under `policy`.
    """

    @abstractmethod
    def get_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def list_models(self) -> Iterator[RegisteredModel]: ...

    # Versions come back with their model's name and aliases filled in.
    @abstractmethod
    def get_version(self, model: RegisteredModel, version: int) -> ModelVersion: ...

    @abstractmethod
    def get_versions(self, wanted: Iterable[tuple[RegisteredModel, int]]) -> list[ModelVersion]:
        """The versions that exist, in no particular order; missing ones are skipped."""

    @abstractmethod
    def list_versions(self, models: Sequence[RegisteredModel]) -> Iterator[ModelVersion]:
        """Every version of the given models."""

    @abstractmethod
    def create_model(self, model: RegisteredModel, events: Sequence[DomainEvent] = ()) -> None:
        """Raises `AlreadyExists` when the name is taken."""

    @abstractmethod
    def commit(self, change: RegistryChange) -> None:
        """Write `change` if the stored model is still at `change.model.revision`, then bump it.

        A `created_version` must not exist yet; a rename (`previous_name`) raises `AlreadyExists` when the
        new name is taken; `delete_model` removes the model and then its versions.
        """

    def fill_latest_versions(self, models: Sequence[RegisteredModel]) -> None:
        """Set each model's `latest_versions`: its highest version in each stage, as MLflow's."""
        found: dict[str, list[ModelVersion]] = {}
        by_name = {model.name: model for model in models}
        wanted = [(model, number) for model in models for number in set(model.latest.values())]
        for version in self.get_versions(wanted):
            found.setdefault(version.name, []).append(version)
        for name, model in by_name.items():
            model.latest_versions = sorted(found.get(name, []), key=lambda version: version.version)


class EventBus(ABC):
    """Where published events go: EventBridge in AWS, the in-process bus locally."""

    MAX_ENTRIES = 10

    @abstractmethod
    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        """Put up to `MAX_ENTRIES` events; returns, per event, None if accepted or the error code if not.

        Raises when the whole request failed (network, throttling); nothing is known to be accepted then.
        """


class OutboxLedger(ABC):
    """Which outbox events are on the bus. The publisher marks what the bus accepted; the redrive sweep
    reads what is still waiting (docs/adr/013-event-redrive.md)."""

    @abstractmethod
    def mark_published(self, event_ids: Sequence[str], now: datetime | None = None) -> int:
        """Mark these events published (and let them expire); returns how many were marked. An event
        without an outbox item is skipped, never created. Marking twice is harmless."""

    @abstractmethod
    def pending(self, written_before: datetime, limit: int) -> list[DomainEvent]:
        """Up to `limit` events written before `written_before` and not marked published, oldest first."""


@dataclass(frozen=True)
class DeadLetter:
    """A pointer the stream's failure destination keeps for a batch it gave up on: no events, only where
    they were in the stream and when they arrived there."""

    receipt: str
    shard_id: str
    first_sequence: str
    last_sequence: str
    first_arrival: datetime
    last_arrival: datetime
    batch_size: int

    def as_log(self) -> dict[str, object]:
        return {
            "shard_id": self.shard_id,
            "sequence_range": [self.first_sequence, self.last_sequence],
            "arrival_range": [self.first_arrival.isoformat(), self.last_arrival.isoformat()],
            "batch_size": self.batch_size,
        }


class DeadLetters(ABC):
    """The publisher's failure destination (an SQS queue in AWS)."""

    @abstractmethod
    def receive(self, max_messages: int) -> list[DeadLetter]:
        """Up to `max_messages` pointers, hidden from other readers for a while; unreadable messages are
        logged and left in the queue."""

    @abstractmethod
    def delete(self, letters: Sequence[DeadLetter]) -> None: ...
