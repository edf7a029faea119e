from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest

from trackway_infra.config import (
    AuthMode,
    EcrImage,
    RemovalMode,
    ServingPackaging,
    ServingTarget,
    TrackwayProps,
    parse_ecr_image,
)

IMAGE = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2"


def from_context(**context: Any) -> TrackwayProps:
    return TrackwayProps.from_context(cdk.App(context=context).node)


def test_defaults_are_secure() -> None:
    props = from_context()
    assert props.auth_mode is AuthMode.IAM
    assert props.removal_policy is RemovalMode.RETAIN and props.retain
    assert props.serving_target is ServingTarget.SERVERLESS
    assert props.serving_packaging is ServingPackaging.IMAGE and props.serving_image and not props.serving_layer
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
            "trackway:sagemakerImageUri": IMAGE,
            "trackway:sagemakerInstanceCount": "3",
            "trackway:servingMemoryMb": "3008",
            "trackway:servingPackaging": "LAYER",
        }
    )
    assert props.auth_mode is AuthMode.JWT
    assert props.jwt_audience == ("a", "b")
    assert props.throttle_rate_limit == 25
    assert not props.retain and props.skip_bundling and props.sagemaker
    assert props.sagemaker_image_uri == IMAGE and props.sagemaker_instance_count == 3
    assert props.sagemaker_instance_type is None
    assert props.serving_memory_mb == 3008 and props.serving_packaging is ServingPackaging.LAYER
    # The packaging only matters where the function loads models: the SageMaker target forwards.
    assert not props.serving_layer and not props.serving_image


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
        {"serving_memory_mb": 64},
        {"serving_ephemeral_storage_mb": 256},
        {"serving_target": ServingTarget.SAGEMAKER},
        {"serving_target": ServingTarget.SAGEMAKER, "sagemaker_image_uri": "mlflow-pyfunc:latest"},
        {"serving_target": ServingTarget.SAGEMAKER, "sagemaker_image_uri": IMAGE, "sagemaker_instance_count": 0},
        {"sagemaker_instance_type": "m5.large"},
    ],
)
def test_invalid_props_fail_fast(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TrackwayProps(**kwargs)


def test_the_sagemaker_target_requires_its_serving_image() -> None:
    with pytest.raises(ValueError, match="sagemakerImageUri"):
        from_context(**{"trackway:servingTarget": "sagemaker"})
    assert from_context(**{"trackway:servingTarget": "sagemaker", "trackway:sagemakerImageUri": IMAGE}).sagemaker


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (IMAGE, EcrImage("111122223333", "eu-west-1", "mlflow-pyfunc")),
        (
            "123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/team/mlflow@sha256:" + "a" * 64,
            EcrImage("123456789012", "us-gov-west-1", "team/mlflow"),
        ),
        ("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/pyfunc", EcrImage("123456789012", "cn-north-1", "pyfunc")),
    ],
)
def test_ecr_image_uris_are_parsed(uri: str, expected: EcrImage) -> None:
    assert parse_ecr_image(uri) == expected


@pytest.mark.parametrize(
    "uri",
    [
        "docker.io/library/python:3",
        "12345.dkr.ecr.eu-west-1.amazonaws.com/x",
        "111122223333.dkr.ecr.eu-west-1.amazonaws.com/",
    ],
)
def test_other_image_uris_are_rejected(uri: str) -> None:
    with pytest.raises(ValueError, match="not an ECR image URI"):
        parse_ecr_image(uri)
