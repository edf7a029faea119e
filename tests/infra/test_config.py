from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from trackway_infra.config import AuthMode, RemovalMode, ServingTarget, TrackwayProps


def from_context(**context: Any) -> TrackwayProps:
    return TrackwayProps.from_context(cdk.App(context=context).node)


def test_defaults_are_secure() -> None:
    props = from_context()
    assert props.auth_mode is AuthMode.IAM
    assert props.removal_policy is RemovalMode.RETAIN and props.retain
    assert props.serving_target is ServingTarget.SERVERLESS
    assert props.kms_key_arn is None and not props.skip_bundling


def test_cli_strings_are_parsed_to_their_types() -> None:
    props = from_context(
        **{
            "trackway:authMode": "JWT",
            "trackway:jwtIssuer": "https://issuer.example.com",
            "trackway:jwtAudience": "a, b",
            "trackway:throttleRateLimit": "25",
            "trackway:removalPolicy": "destroy",
            "trackway:skipBundling": "true",
            "trackway:servingTarget": "sagemaker",
        }
    )
    assert props.auth_mode is AuthMode.JWT
    assert props.jwt_audience == ("a", "b")
    assert props.throttle_rate_limit == 25
    assert not props.retain and props.skip_bundling and props.sagemaker


def test_cdk_json_values_are_accepted_as_json() -> None:
    props = from_context(**{"trackway:jwtAudience": ["x"], "trackway:alarmTopic": True, "trackway:namePrefix": "ml"})
    assert props.jwt_audience == ("x",) and props.alarm_topic and props.name_prefix == "ml"


def test_unknown_context_keys_are_rejected() -> None:
    with pytest.raises(ValueError, match="trackway:authmode"):
        from_context(**{"trackway:authmode": "jwt"})


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth_mode": AuthMode.JWT},
        {"auth_mode": AuthMode.JWT, "jwt_issuer": "http://insecure", "jwt_audience": ("a",)},
        {"log_retention_days": 31},
        {"throttle_rate_limit": 0},
        {"name_prefix": "Bad_Name"},
        {"presigned_url_seconds": 50_000},
        {"event_max_age_hours": 48},
    ],
)
def test_invalid_props_fail_fast(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TrackwayProps(**kwargs)
