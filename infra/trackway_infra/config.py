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

from trackway_infra.constants import CONTEXT_PREFIX


class AuthMode(StrEnum):
    IAM = "iam"
    JWT = "jwt"


class ServingTarget(StrEnum):
    SERVERLESS = "serverless"
    SAGEMAKER = "sagemaker"


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
    removal_policy: RemovalMode = RemovalMode.RETAIN
    alarm_email: str | None = None
    alarm_topic: bool = False
    run_index_shards: int = 16
    presigned_url_seconds: int = 900
    event_retry_attempts: int = 8
    event_max_age_hours: int = 24
    stream_retry_attempts: int = 10
    abort_multipart_days: int = 7
    noncurrent_version_days: int = 30
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
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if not 0 <= self.event_retry_attempts <= 185 or not 0 <= self.stream_retry_attempts <= 10_000:
            raise ValueError("retry attempts out of range (events 0..185, stream 0..10000)")
        if not 60 <= self.event_max_age_hours * 3600 <= 86_400:
            raise ValueError("event_max_age_hours must be at most 24")
        if self.presigned_url_seconds > 43_200:
            raise ValueError("presigned_url_seconds must be at most 12 hours (Lambda role credentials)")

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
    kind = str(type_name)
    if kind == "bool":
        return raw if isinstance(raw, bool) else str(raw).strip().lower() in {"1", "true", "yes"}
    if kind == "int":
        return int(raw)
    if kind.startswith("tuple"):
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return tuple(str(item).strip() for item in items if str(item).strip())
    for enum in (AuthMode, ServingTarget, RemovalMode):
        if kind == enum.__name__:
            return enum(str(raw).lower())
    return str(raw) if raw != "" else None
