"""Typed configuration, read from the environment once at each function's entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, field_validator

ServingTarget = Literal["serverless", "sagemaker"]


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)
    env_prefix: ClassVar[str] = "TRACKWAY_"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = cls.env_prefix + name.upper()
            if key in environ:
                values[name] = environ[key]
        return cls.model_validate(values)


class AwsSettings(_EnvSettings):
    """Where the AWS services are. Endpoints are set only by the local stack."""

    region: str = "us-east-1"
    dynamodb_endpoint: str | None = None
    s3_endpoint: str | None = None
    events_endpoint: str | None = None


class AccessSettings(AwsSettings):
    """Access control of the API functions (docs/adr/012-access-control.md).

    `admins`: principals (exact or patterns such as `arn:aws:sts::123:assumed-role/ml-admin/*`) with MANAGE on
    everything, comma-separated in the environment. `default_permission`: the level of a principal without a
    grant; NO_PERMISSIONS, not MLflow's READ, so a new principal sees nothing until granted.
    """

    access_table: str = "trackway-access"
    admins: tuple[str, ...] = ()
    default_permission: Literal["NO_PERMISSIONS", "READ", "EDIT", "MANAGE"] = "NO_PERMISSIONS"

    @field_validator("admins", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value


class ApiSettings(AccessSettings):
    """`auth_required`: a request without a principal is refused (401). The stack always sets it; only the
    open local stack leaves it off."""

    auth_required: bool = False


class TrackingSettings(ApiSettings):
    tracking_table: str = "trackway-tracking"
    outbox_table: str = "trackway-outbox"
    # 64, not 16: per-call log_metric from 1,000 runs at 10 points/s puts 1,560 WCU/s on the hottest of 16
    # run-index shards, over DynamoDB's 1,000 per partition; 64 gives 540 (bench/scale_simulation.py).
    run_index_shards: int = 64
    deleted_retention_days: int = 30
    artifact_root: str = "mlflow-artifacts:/"


class RegistrySettings(ApiSettings):
    tracking_table: str = "trackway-tracking"
    registry_table: str = "trackway-registry"
    outbox_table: str = "trackway-outbox"


class ArtifactSettings(ApiSettings):
    tracking_table: str = "trackway-tracking"
    artifact_bucket: str = "trackway-artifacts"
    presigned_url_seconds: int = 900
    proxied_upload_limit_bytes: int = 5 * 1024 * 1024


class PublisherSettings(AwsSettings):
    event_bus: str = "trackway"
    outbox_table: str = "trackway-outbox"


class RedriveSettings(PublisherSettings):
    """The redrive sweep (handlers/redrive.py): republishes outbox events still pending after
    `redrive_after_seconds`, up to `redrive_limit` per round, and clears resolved pointers from
    `publisher_dlq_url` (unset: no queue to read)."""

    publisher_dlq_url: str | None = None
    sqs_endpoint: str | None = None
    redrive_after_seconds: int = 900
    redrive_limit: int = 1000


class ApprovalSettings(AwsSettings):
    tracking_table: str = "trackway-tracking"
    registry_table: str = "trackway-registry"
    outbox_table: str = "trackway-outbox"


class DeploymentSettings(AwsSettings):
    """`serving_function` is the serving function's name, which the health check invokes; unset (the local
    stack, tests) it calls the serving handler in process."""

    registry_table: str = "trackway-registry"
    outbox_table: str = "trackway-outbox"
    artifact_bucket: str = "trackway-artifacts"
    serving_target: ServingTarget = "serverless"
    serving_function: str | None = None
    health_check_seconds: float = 60.0
    sagemaker_execution_role_arn: str | None = None
    sagemaker_resource_prefix: str | None = None
    sagemaker_image_uri: str | None = None
    sagemaker_instance_type: str = "ml.m5.large"
    sagemaker_instance_count: int = 1


class ServingSettings(AccessSettings):
    """`live_check_seconds`: how long a container trusts its cached live version before reading it again."""

    registry_table: str = "trackway-registry"
    artifact_bucket: str = "trackway-artifacts"
    serving_target: ServingTarget = "serverless"
    sagemaker_resource_prefix: str | None = None
    model_cache_dir: str = "/tmp/trackway-models"
    live_check_seconds: float = 1.0
