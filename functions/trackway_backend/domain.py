"""Domain entities of the tracking store. Plain data: no HTTP, no DynamoDB."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

T = TypeVar("T")


class LifecycleStage(StrEnum):
    ACTIVE = "active"
    DELETED = "deleted"


class RunStatus(StrEnum):
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"


class ViewType(StrEnum):
    ACTIVE_ONLY = "ACTIVE_ONLY"
    DELETED_ONLY = "DELETED_ONLY"
    ALL = "ALL"

    def admits(self, stage: LifecycleStage) -> bool:
        if self is ViewType.ALL:
            return True
        return (stage is LifecycleStage.ACTIVE) == (self is ViewType.ACTIVE_ONLY)


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None
    run_id: str | None = None  # set on the metrics a logged model carries: the run that logged them

    @property
    def order(self) -> tuple[int, int, float]:
        """MLflow's "latest" order: the max by (step, timestamp, value); NaN sorts lowest."""
        value = self.value if self.value == self.value else float("-inf")
        return (self.step, self.timestamp, value)


@dataclass
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    creation_time: int = 0
    last_update_time: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    revision: int = 0  # bumped by every save; a save is conditional on it


@dataclass
class Dataset:
    name: str
    digest: str
    source_type: str
    source: str
    schema: str | None = None
    profile: str | None = None


@dataclass
class DatasetInput:
    dataset: Dataset
    tags: dict[str, str] = field(default_factory=dict)


DatasetKey = tuple[str, str, str | None]  # name, digest and the input's context tag
DATASET_CONTEXT_TAG = "mlflow.data.context"


@dataclass
class Run:
    """A run with its summary: params, tags and the latest value of each metric."""

    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, Metric] = field(default_factory=dict)
    inputs: list[DatasetInput] = field(default_factory=list)
    # (name, digest, context) of each dataset input: what `datasets.*` filters read, kept in the summary
    # so a search reads no input items
    dataset_keys: list[DatasetKey] = field(default_factory=list)
    model_inputs: list[str] = field(default_factory=list)
    model_outputs: list[tuple[str, int]] = field(default_factory=list)
    revision: int = 0


class LoggedModelStatus(StrEnum):
    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    UPLOAD_FAILED = "LOGGED_MODEL_UPLOAD_FAILED"


@dataclass
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    status: LoggedModelStatus
    creation_timestamp: int
    last_updated_timestamp: int
    model_type: str | None = None
    source_run_id: str | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    # The latest point per (key, run, dataset) logged with this model's id: bounded by the distinct keys,
    # as a run summary's latest metrics are. The full history stays with the run.
    metrics: list[Metric] = field(default_factory=list)
    revision: int = 0  # bumped by every save; a save is conditional on it


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str | None = None
