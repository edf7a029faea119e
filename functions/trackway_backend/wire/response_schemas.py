"""The shapes of the JSON bodies the routes answer with, for the OpenAPI document (docs/openapi.json).

The views (tracking_responses, registry_responses, artifact_responses) build these bodies as plain dicts,
which is cheaper on a cold start; these models describe them, and only the OpenAPI generator imports this
module. A field is required here only when the view always writes it; `T | None` means it may be null.
The fuzzing test (tests/system/test_api_contract.py) checks every response the stack gives against them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from trackway_backend.deployment_domain import DeploymentStatus
from trackway_backend.domain import LifecycleStage, LoggedModelStatus, RunStatus
from trackway_backend.errors import ErrorCode
from trackway_backend.registry_domain import Stage, VersionStatus

Double = float | Literal["NaN", "Infinity", "-Infinity"]
"""MLflow's JSON for a double: a number, or a string for the values JSON cannot spell."""


class Body(BaseModel):
    model_config = ConfigDict(defer_build=True)


class Empty(Body):
    """`{}`: the route did what was asked and has nothing to return."""


class Error(Body):
    """MLflow's error body, with every 4xx (and a 503 that asks the client to retry)."""

    error_code: ErrorCode
    message: str


class KeyValueOut(Body):
    key: str
    value: str


class ServerInfo(Body):
    store_type: str
    version: str
    artifacts_presigned_only: bool
    multipart_uploads_enabled: bool
    multipart_downloads_enabled: bool
    artifact_serving_enabled: bool
    workspaces_enabled: bool
    tracking_auth: str | None


class ExperimentOut(Body):
    experiment_id: str
    name: str
    artifact_location: str
    lifecycle_stage: LifecycleStage
    creation_time: int
    last_update_time: int
    tags: list[KeyValueOut]


class CreatedExperiment(Body):
    experiment_id: str


class ExperimentEnvelope(Body):
    experiment: ExperimentOut


class ExperimentPage(Body):
    experiments: list[ExperimentOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class MetricOut(Body):
    key: str
    value: Double
    timestamp: int
    step: int
    model_id: str = ""
    dataset_name: str = ""
    dataset_digest: str = ""
    run_id: str = ""


class RunInfoOut(Body):
    run_id: str
    run_uuid: str
    run_name: str
    experiment_id: str
    user_id: str
    status: RunStatus
    start_time: int
    end_time: int = 0
    artifact_uri: str
    lifecycle_stage: LifecycleStage


class RunDataOut(Body):
    metrics: list[MetricOut]
    params: list[KeyValueOut]
    tags: list[KeyValueOut]


class DatasetOut(Body):
    name: str
    digest: str
    source_type: str
    source: str
    schema_: str = Field(default="", alias="schema")
    profile: str = ""


class DatasetInputOut(Body):
    tags: list[KeyValueOut]
    dataset: DatasetOut


class ModelInputOut(Body):
    model_id: str


class ModelOutputOut(Body):
    model_id: str
    step: int


class RunInputsOut(Body):
    dataset_inputs: list[DatasetInputOut]
    model_inputs: list[ModelInputOut]


class RunOutputsOut(Body):
    model_outputs: list[ModelOutputOut]


class RunOut(Body):
    info: RunInfoOut
    data: RunDataOut
    inputs: RunInputsOut
    outputs: RunOutputsOut


class RunEnvelope(Body):
    run: RunOut


class RunInfoEnvelope(Body):
    run_info: RunInfoOut


class RunPage(Body):
    runs: list[RunOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class MetricPage(Body):
    metrics: list[MetricOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class LoggedModelInfoOut(Body):
    model_id: str
    experiment_id: str
    name: str
    artifact_uri: str
    status: LoggedModelStatus
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    tags: list[KeyValueOut]
    registrations: list[dict[str, Any]]
    model_type: str = ""
    source_run_id: str = ""


class LoggedModelDataOut(Body):
    params: list[KeyValueOut]
    metrics: list[MetricOut]


class LoggedModelOut(Body):
    info: LoggedModelInfoOut
    data: LoggedModelDataOut


class LoggedModelEnvelope(Body):
    model: LoggedModelOut


class LoggedModelPage(Body):
    models: list[LoggedModelOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class ModelVersionOut(Body):
    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: Stage
    source: str
    status: VersionStatus
    tags: list[KeyValueOut]
    aliases: list[str]
    user_id: str = ""
    description: str = ""
    run_id: str = ""
    status_message: str = ""
    run_link: str = ""
    model_id: str = ""


class AliasOut(Body):
    alias: str
    version: str


class RegisteredModelOut(Body):
    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    latest_versions: list[ModelVersionOut]
    tags: list[KeyValueOut]
    aliases: list[AliasOut]
    user_id: str = ""
    description: str = ""


class RegisteredModelEnvelope(Body):
    registered_model: RegisteredModelOut


class RegisteredModelPage(Body):
    registered_models: list[RegisteredModelOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class ModelVersionEnvelope(Body):
    model_version: ModelVersionOut


class ModelVersionList(Body):
    model_versions: list[ModelVersionOut]


class ModelVersionPage(Body):
    model_versions: list[ModelVersionOut]
    next_page_token: str = Field(default="", description="Absent on the last page.")


class DownloadUri(Body):
    artifact_uri: str


class FileInfoOut(Body):
    path: str
    is_dir: bool
    file_size: int = 0


class ArtifactListing(Body):
    files: list[FileInfoOut]


class PresignedDownload(Body):
    url: str
    headers: dict[str, str]
    file_size: int | None


class PartCredential(Body):
    url: str
    part_number: int
    headers: dict[str, str]


class CreatedUpload(Body):
    upload_id: str
    credentials: list[PartCredential]


class ServedVersion(Body):
    name: str
    version: str
    alias: str
    deployment_id: str
    target: str


class ServingHealth(ServedVersion):
    status: Literal["OK"]
    prediction: str = Field(default="", description="With `predict=true`: `OK`, or why scoring was skipped.")


class DeploymentOut(Body):
    deployment_id: str
    name: str
    version: str
    alias: str
    target: str
    status: DeploymentStatus
    previous_version: str | None
    live_version: str | None
    requested_at: str
    started_at: int
    finished_at: int | None
    reason: str | None
    attempt: int
    details: dict[str, str]


class LiveOut(Body):
    version: str
    deployment_id: str
    target: str
    updated_at: int


class DeploymentHistory(Body):
    deployments: list[DeploymentOut]
    live: LiveOut | None


PermissionLevel = Literal["READ", "EDIT", "MANAGE", "NO_PERMISSIONS"]


class ExperimentPermissionOut(Body):
    experiment_id: str
    user_id: str = Field(description="The principal: an IAM ARN or pattern, a JWT subject, or `group:<name>`.")
    permission: PermissionLevel


class ExperimentPermissionEnvelope(Body):
    experiment_permission: ExperimentPermissionOut


class RegisteredModelPermissionOut(Body):
    name: str
    user_id: str = Field(description="The principal: an IAM ARN or pattern, a JWT subject, or `group:<name>`.")
    permission: PermissionLevel


class RegisteredModelPermissionEnvelope(Body):
    registered_model_permission: RegisteredModelPermissionOut


class UserPermissionOut(Body):
    allowed: bool = Field(description="Whether the level reaches EDIT (MLflow's USE tier).")
    permission: PermissionLevel
