"""The storage port of the tracking domain. Primitives are abstract; adapters implement them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence

from trackway_backend.domain import DatasetInput, Experiment, LoggedModel, Metric, Page, Run
from trackway_backend.events import DomainEvent


class TrackingStore(ABC):
    """Experiments, runs, metric history and logged models.

    Getters raise `NotFound` for a missing entity unless they say they return None. Writers that take
    an expected revision raise `Conflict` when another writer got there first.
    """

    # experiments
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
        """Overwrite an experiment; `previous_name` releases the old name of a renamed one."""

    @abstractmethod
    def list_experiments(self) -> Iterator[Experiment]: ...

    # runs
    @abstractmethod
    def create_run(self, run: Run) -> None: ...

    @abstractmethod
    def get_run(self, run_id: str) -> Run: ...

    @abstractmethod
    def save_run(self, run: Run, events: Sequence[DomainEvent] = ()) -> None:
        """Write the run summary, with `events` in the same transaction, if its stored revision is still
        `run.revision`; then bump it."""

    @abstractmethod
    def list_runs(self, experiment_ids: Iterable[str]) -> Iterator[Run]:
        """Run summaries (without inputs and outputs) of the given experiments."""

    @abstractmethod
    def add_run_inputs(self, run_id: str, datasets: list[DatasetInput], model_ids: list[str]) -> None: ...

    @abstractmethod
    def add_run_outputs(self, run_id: str, outputs: list[tuple[str, int]]) -> None: ...

    # metric history
    @abstractmethod
    def append_history(self, run_id: str, metrics: list[Metric]) -> None:
        """Store points; storing the same points again changes nothing."""

    @abstractmethod
    def history(self, run_id: str, key: str, page_token: str | None, max_results: int) -> Page[Metric]: ...

    # logged models
    @abstractmethod
    def create_logged_model(self, model: LoggedModel) -> None: ...

    @abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModel: ...

    @abstractmethod
    def save_logged_model(self, model: LoggedModel) -> None: ...

    @abstractmethod
    def list_logged_models(self, experiment_ids: Iterable[str]) -> Iterator[LoggedModel]: ...
