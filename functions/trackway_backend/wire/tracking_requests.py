"""Request bodies of the tracking routes (mlflow service.proto), snake_case as the client sends them."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from trackway_backend.domain import LoggedModelStatus, RunStatus, ViewType
from trackway_backend.errors import InvalidParameter
from trackway_backend.wire.parsing import Request, Required


class KeyValue(Request):
    key: Required
    value: str


class RunRequest(Request):
    run_id: str | None = None
    run_uuid: str | None = None

    @property
    def id(self) -> str:
        run_id = self.run_id or self.run_uuid
        if not run_id:
            raise InvalidParameter("Missing value for required parameter 'run_id'.")
        return run_id


class CreateExperiment(Request):
    name: Required
    artifact_location: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class ExperimentRequest(Request):
    experiment_id: Required


class GetExperimentByName(Request):
    experiment_name: Required


class SearchExperiments(Request):
    max_results: int = 1000
    page_token: str | None = None
    filter: str | None = None
    order_by: list[str] = Field(default_factory=list)
    view_type: ViewType = ViewType.ACTIVE_ONLY


class UpdateExperiment(ExperimentRequest):
    new_name: str | None = None


class SetExperimentTag(ExperimentRequest):
    key: Required
    value: str


class DeleteExperimentTag(ExperimentRequest):
    key: Required


class CreateRun(Request):
    experiment_id: str | None = None
    user_id: str | None = None
    run_name: str | None = None
    start_time: int | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class UpdateRun(RunRequest):
    status: RunStatus | None = None
    end_time: int | None = None
    run_name: str | None = None


class SetTag(RunRequest):
    key: Required
    value: str


class DeleteTag(RunRequest):
    key: Required


class MetricIn(Request):
    key: Required
    value: Any = Field(...)
    timestamp: Any = Field(...)
    step: Any = 0
    model_id: str | None = None
    dataset_name: str | None = None
    dataset_digest: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _value_present(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("value") is None and "value" in data:
            raise ValueError("metric value must be a number")
        return data


class LogMetric(RunRequest, MetricIn):
    pass


class LogParam(RunRequest):
    key: Required
    value: str


class LogBatch(RunRequest):
    metrics: list[MetricIn] = Field(default_factory=list)
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class DatasetIn(Request):
    name: Required
    digest: Required
    source_type: Required
    source: Required
    schema_: str | None = Field(default=None, alias="schema")
    profile: str | None = None


class DatasetInputIn(Request):
    tags: list[KeyValue] = Field(default_factory=list)
    dataset: DatasetIn


class ModelRef(Request):
    model_id: Required


class ModelOutput(Request):
    model_id: Required
    step: int = 0


class LogInputs(RunRequest):
    datasets: list[DatasetInputIn] = Field(default_factory=list)
    models: list[ModelRef] = Field(default_factory=list)


class LogOutputs(RunRequest):
    models: list[ModelOutput] = Field(default_factory=list)


class SearchRuns(Request):
    experiment_ids: list[str] = Field(default_factory=list)
    filter: str | None = None
    run_view_type: ViewType = ViewType.ACTIVE_ONLY
    max_results: int = 1000
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class GetMetricHistory(RunRequest):
    metric_key: Required
    max_results: int | None = None
    page_token: str | None = None


class GetMetricHistoryBulkInterval(Request):
    run_ids: list[str] = Field(min_length=1)
    metric_key: Required
    start_step: int | None = None
    end_step: int | None = None
    max_results: int | None = None


class CreateLoggedModel(Request):
    experiment_id: Required
    name: str | None = None
    model_type: str | None = None
    source_run_id: str | None = None
    params: list[KeyValue] = Field(default_factory=list)
    tags: list[KeyValue] = Field(default_factory=list)


class GetLoggedModel(Request):
    allow_deleted: bool = False


class FinalizeLoggedModel(Request):
    status: LoggedModelStatus


class LoggedModelTags(Request):
    tags: list[KeyValue] = Field(default_factory=list)


class LoggedModelParams(Request):
    params: list[KeyValue] = Field(default_factory=list)


class LoggedModelOrder(Request):
    field_name: Required
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None


class SearchLoggedModels(Request):
    experiment_ids: list[str] = Field(default_factory=list)
    filter: str | None = None
    max_results: int = 100
    order_by: list[LoggedModelOrder] = Field(default_factory=list)
    page_token: str | None = None
