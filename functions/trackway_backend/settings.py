"""Typed configuration, read from the environment once at each function's entry point."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict


class _EnvSettings(BaseModel):
    model_config = ConfigDict(frozen=True)
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


class TrackingSettings(AwsSettings):
    tracking_table: str = "trackway-tracking"
    outbox_table: str = "trackway-outbox"
    run_index_shards: int = 16
    deleted_retention_days: int = 30
    artifact_root: str = "mlflow-artifacts:/"


class RegistrySettings(AwsSettings):
    tracking_table: str = "trackway-tracking"
    registry_table: str = "trackway-registry"
    outbox_table: str = "trackway-outbox"


class ArtifactSettings(AwsSettings):
    tracking_table: str = "trackway-tracking"
    artifact_bucket: str = "trackway-artifacts"
    presigned_url_seconds: int = 900
    proxied_upload_limit_bytes: int = 5 * 1024 * 1024


class PublisherSettings(AwsSettings):
    event_bus: str = "trackway"
