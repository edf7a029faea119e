"""Typed deployment configuration: defaults, validation, and parsing from CDK context.

Every knob is a field of `TrackwayProps`. From the CLI each one is a context key `trackway:<camelCaseName>`
(`cdk deploy -c trackway:authMode=jwt`), or an entry under "context" in cdk.json. Embedding apps pass
`TrackwayProps(...)` directly.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Node

from trackway_backend.settings import TrackingSettings
from trackway_infra.constants import CONTEXT_PREFIX


class AuthMode(StrEnum):
    IAM = "iam"
    JWT = "jwt"


class ServingTarget(StrEnum):
    SERVERLESS = "serverless"
    SAGEMAKER = "sagemaker"


class ServingPackaging(StrEnum):
    """How the serving function ships its model runtime (mlflow-skinny, pandas, scikit-learn, skops).

    `image` (default): a container image built by Docker at deploy (10 GB limit, bytecode precompiled).
    `layer`: a zip function with a pip-built serving layer, no Docker; it must fit Lambda's 250 MB unzipped
    limit, which the default `serving` extra does not (measured 310.5 MB after pruning), so synth fails with
    the measured size unless the extra is trimmed. Only the serverless target loads models in the function.
    """

    IMAGE = "image"
    LAYER = "layer"


class RemovalMode(StrEnum):
    """`retain` keeps tables and buckets (deletion protection on) if the stack goes; `destroy` is for dev."""

    RETAIN = "retain"
    DESTROY = "destroy"


_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}$")
_ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?"
    r"/(?P<repository>[a-z0-9](?:[a-z0-9._/-]*[a-z0-9])?)(?::[\w][\w.-]{0,127}|@sha256:[a-f0-9]{64})?$"
)
_LEVELS = ("NO_PERMISSIONS", "READ", "EDIT", "MANAGE")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")


@dataclass(frozen=True)
class EcrImage:
    account: str
    region: str
    repository: str


def parse_ecr_image(uri: str) -> EcrImage:
    """`<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:digest]`, as SageMaker needs."""
    match = _ECR_IMAGE.match(uri)
    if not match:
        raise ValueError(
            f"sagemaker_image_uri {uri!r} is not an ECR image URI "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>)"
        )
    return EcrImage(match["account"], match["region"], match["repository"])


@dataclass(frozen=True)
class TrackwayProps:
    name_prefix: str = "trackway"
    event_bus_name: str = "trackway"
    auth_mode: AuthMode = AuthMode.IAM
    jwt_issuer: str | None = None
    jwt_audience: tuple[str, ...] = ()
    log_retention_days: int = 30
    deleted_retention_days: int = 30
    archive_retention_days: int = 90
    kms_key_arn: str | None = None
    throttle_rate_limit: int = 100
    throttle_burst_limit: int = 200
    serving_target: ServingTarget = ServingTarget.SERVERLESS
    # Serverless target: how the serving function ships mlflow/pandas/sklearn, and what a model load needs.
    serving_packaging: ServingPackaging = ServingPackaging.IMAGE
    serving_memory_mb: int = 2048
    serving_ephemeral_storage_mb: int = 2048
    # SageMaker target: the MLflow pyfunc serving image (`mlflow sagemaker build-and-push-container`), required;
    # instance type and count default to the deployment function's settings (ml.m5.large, 1).
    sagemaker_image_uri: str | None = None
    sagemaker_instance_type: str | None = None
    sagemaker_instance_count: int | None = None
    removal_policy: RemovalMode = RemovalMode.RETAIN
    alarm_email: str | None = None
    alarm_topic: bool = False
    # The backend's own default, so the deployed functions and the local stack shard alike.
    run_index_shards: int = TrackingSettings.model_fields["run_index_shards"].default
    presigned_url_seconds: int = 900
    event_retry_attempts: int = 8
    event_max_age_hours: int = 24
    stream_retry_attempts: int = 10
    # The redrive function runs every `redrive_interval_minutes` and republishes outbox events still pending
    # after `redrive_after_minutes`; the publisher's IteratorAge alarm fires at `iterator_age_alarm_minutes`.
    redrive_interval_minutes: int = 5
    redrive_after_minutes: int = 15
    iterator_age_alarm_minutes: int = 10
    abort_multipart_days: int = 7
    noncurrent_version_days: int = 30
    # Access control (docs/adr/012-access-control.md): principals (IAM ARNs or patterns, JWT subjects) with
    # MANAGE on everything, and the level of a principal without a grant.
    admins: tuple[str, ...] = ()
    default_permission: str = "NO_PERMISSIONS"
    # Synthesize without running pip: for tests and offline CI only; the functions would lack their deps.
    skip_bundling: bool = False

    def __post_init__(self) -> None:
        if not _NAME.match(self.name_prefix) or not _NAME.match(self.event_bus_name):
            raise ValueError("name_prefix and event_bus_name must match " + _NAME.pattern)
        if self.auth_mode is AuthMode.JWT and not (
            self.jwt_issuer and self.jwt_issuer.startswith("https://") and self.jwt_audience
        ):
            raise ValueError("auth_mode=jwt needs jwt_issuer (an https:// URL) and at least one jwt_audience")
        if self.log_retention_days not in _RETENTION:
            raise ValueError(f"log_retention_days must be one of {sorted(_RETENTION)}")
        for name in (
            "deleted_retention_days",
            "archive_retention_days",
            "throttle_rate_limit",
            "throttle_burst_limit",
            "run_index_shards",
            "presigned_url_seconds",
            "event_max_age_hours",
            "abort_multipart_days",
            "noncurrent_version_days",
            "redrive_interval_minutes",
            "redrive_after_minutes",
            "iterator_age_alarm_minutes",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.default_permission not in _LEVELS:
            raise ValueError(f"default_permission must be one of {_LEVELS}")
        if any(not admin.strip() or "," in admin for admin in self.admins):
            raise ValueError("admins must be non-empty principals without commas")
        if not 0 <= self.event_retry_attempts <= 185 or not 0 <= self.stream_retry_attempts <= 10_000:
            raise ValueError("retry attempts out of range (events 0..185, stream 0..10000)")
        if not 60 <= self.event_max_age_hours * 3600 <= 86_400:
            raise ValueError("event_max_age_hours must be at most 24")
        if self.iterator_age_alarm_minutes >= 24 * 60:
            raise ValueError("iterator_age_alarm_minutes must be under 24 hours, the stream's retention")
        if self.presigned_url_seconds > 43_200:
            raise ValueError("presigned_url_seconds must be at most 12 hours (Lambda role credentials)")
        if not 128 <= self.serving_memory_mb <= 10_240:
            raise ValueError("serving_memory_mb must be 128..10240 (Lambda's range)")
        if not 512 <= self.serving_ephemeral_storage_mb <= 10_240:
            raise ValueError("serving_ephemeral_storage_mb must be 512..10240 (Lambda's range)")
        if self.sagemaker:
            if not self.sagemaker_image_uri:
                raise ValueError(
                    "serving_target=sagemaker needs sagemaker_image_uri (trackway:sagemakerImageUri): the ECR URI "
                    "of an MLflow pyfunc serving image, e.g. from `mlflow sagemaker build-and-push-container`"
                )
            parse_ecr_image(self.sagemaker_image_uri)
        if self.sagemaker_instance_type is not None and not _INSTANCE_TYPE.match(self.sagemaker_instance_type):
            raise ValueError(f"sagemaker_instance_type {self.sagemaker_instance_type!r} is not ml.<family>.<size>")
        if self.sagemaker_instance_count is not None and self.sagemaker_instance_count < 1:
            raise ValueError("sagemaker_instance_count must be positive")

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _RETENTION[self.log_retention_days]

    @property
    def retain(self) -> bool:
        return self.removal_policy is RemovalMode.RETAIN

    @property
    def cdk_removal_policy(self) -> RemovalPolicy:
        """For stateful resources and logs; the functions, API and rules are always replaceable."""
        return RemovalPolicy.RETAIN if self.retain else RemovalPolicy.DESTROY

    @property
    def sagemaker(self) -> bool:
        return self.serving_target is ServingTarget.SAGEMAKER

    @property
    def serving_image(self) -> bool:
        """The serving function is a container image (serverless target with the image packaging)."""
        return not self.sagemaker and self.serving_packaging is ServingPackaging.IMAGE

    @property
    def serving_layer(self) -> bool:
        """The serving function is a zip with the pip-built serving layer instead of the shared one."""
        return not self.sagemaker and self.serving_packaging is ServingPackaging.LAYER

    @classmethod
    def from_context(cls, node: Node) -> TrackwayProps:
        """Props from `trackway:*` context; unknown `trackway:` keys are an error, so typos never pass."""
        fields = {_context_key(f.name): f for f in dataclasses.fields(cls)}
        unknown = sorted(k for k in node.get_all_context() if k.startswith(CONTEXT_PREFIX) and k not in fields)
        if unknown:
            raise ValueError(f"unknown context keys {unknown}; known: {sorted(fields)}")
        values = {
            f.name: _parse(f.type, raw) for key, f in fields.items() if (raw := node.try_get_context(key)) is not None
        }
        return cls(**values)


def _context_key(name: str) -> str:
    head, *rest = name.split("_")
    return CONTEXT_PREFIX + head + "".join(part.capitalize() for part in rest)


def _parse(type_name: Any, raw: Any) -> Any:
    """Context from `-c key=value` arrives as a string; from cdk.json as JSON. Accept both."""
    kind = str(type_name).removesuffix(" | None")
    if kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes"}
    if kind == "int":
        return int(raw)
    if kind.startswith("tuple"):
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())
    for enum in (AuthMode, ServingTarget, ServingPackaging, RemovalMode):
        if kind == enum.__name__:
            return enum(str(raw).lower())
    return str(raw) if raw != "" else None
