"""The SageMaker target on moto: model, endpoint config, create or blue/green update, wait, restore.

moto 5.2.5 implements every call but UpdateEndpoint; `update_endpoint_shim` adds it to moto's SageMaker
backend (switch the endpoint's config, as a successful blue/green update ends) and records each request.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core.responses import ActionResult
from moto.sagemaker.responses import SageMakerResponse

from trackway_backend.adapters.serving.sagemaker_target import (
    BLUE_GREEN,
    SageMakerConfig,
    SageMakerTarget,
    endpoint_name,
    resource_name,
)
from trackway_backend.deployment_domain import LiveDeployment
from trackway_backend.deployment_ports import DeploymentFailed, DeployRequest
from trackway_backend.registry_domain import ModelVersion

ROLE = "arn:aws:iam::123456789012:role/trackway-sagemaker"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.17.2"
CONFIG = SageMakerConfig(ROLE, "trackway", IMAGE, "trackway-artifacts", wait_seconds=5, poll_seconds=0)


@pytest.fixture
def updates(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = []

    def update_endpoint(self: SageMakerResponse) -> ActionResult:
        backend = self.sagemaker_backend
        endpoint = backend.endpoints[self._get_param("EndpointName")]
        config = backend.describe_endpoint_config(self._get_param("EndpointConfigName"))
        requests.append(
            {
                "EndpointName": endpoint.endpoint_name,
                **{k: self._get_param(k) for k in ("EndpointConfigName", "DeploymentConfig")},
            }
        )
        endpoint.endpoint_config_name = config["EndpointConfigName"]
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        return ActionResult({"EndpointArn": endpoint.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    return requests


@pytest.fixture
def sagemaker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.client("sagemaker", region_name="us-east-1")


def request(version: int, deployment_id: str, previous: LiveDeployment | None = None) -> DeployRequest:
    location = f"mlflow-artifacts:/1/models/m-{version:032x}/artifacts"
    model_version = ModelVersion("iris-classifier", version, 0, 0, f"models:/m-{version:032x}", location)
    return DeployRequest("iris-classifier", "rid", model_version, deployment_id, previous)


def test_names_stay_within_sagemaker_limits_and_the_prefix() -> None:
    assert endpoint_name("trackway", "iris-classifier") == "trackway-iris-classifier"
    long = resource_name("trackway", "a very/long_model name " * 5, "v12", "0123abcd")
    assert len(long) == 63 and long.startswith("trackway-a-very-long-model-name")
    assert long != resource_name("trackway", "a very/long_model name " * 5, "v13", "0123abcd")


def test_the_first_deployment_creates_the_model_config_and_endpoint(sagemaker: Any, updates: list[Any]) -> None:
    target = SageMakerTarget(sagemaker, CONFIG, sleep=lambda _: None)
    details = target.deploy(request(1, "a" * 32))
    assert details == {
        "endpoint_name": "trackway-iris-classifier",
        "endpoint_config": "trackway-iris-classifier-v1-aaaaaaaa",
        "model_name": "trackway-iris-classifier-v1-aaaaaaaa",
    }
    container = sagemaker.describe_model(ModelName=details["model_name"])["PrimaryContainer"]
    assert container["Image"] == IMAGE
    assert container["ModelDataSource"]["S3DataSource"] == {
        "S3Uri": f"s3://trackway-artifacts/1/models/m-{1:032x}/artifacts/",
        "S3DataType": "S3Prefix",
        "CompressionType": "None",
    }
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=details["endpoint_config"])["ProductionVariants"]
    assert variant["ModelName"] == details["model_name"] and variant["InstanceType"] == "ml.m5.large"
    target.check(request(1, "a" * 32), details)
    assert updates == []


def test_a_new_version_is_a_blue_green_update_and_restore_goes_back(sagemaker: Any, updates: list[Any]) -> None:
    target = SageMakerTarget(sagemaker, CONFIG, sleep=lambda _: None)
    first = target.deploy(request(1, "a" * 32))
    live = LiveDeployment(1, "a" * 32, 1, "sagemaker", 0, first)
    second_request = request(2, "b" * 32, live)
    second = target.deploy(second_request)
    assert second["previous_endpoint_config"] == first["endpoint_config"]
    assert updates == [
        {
            "EndpointName": "trackway-iris-classifier",
            "EndpointConfigName": second["endpoint_config"],
            "DeploymentConfig": BLUE_GREEN,
        }
    ]
    assert BLUE_GREEN["BlueGreenUpdatePolicy"]["TrafficRoutingConfiguration"]["Type"] == "ALL_AT_ONCE"
    target.check(second_request, second)
    target.restore(second_request, second)
    endpoint = sagemaker.describe_endpoint(EndpointName="trackway-iris-classifier")
    assert endpoint["EndpointConfigName"] == first["endpoint_config"]
    with pytest.raises(DeploymentFailed, match="serves"):
        target.check(second_request, second)


def test_missing_configuration_and_foreign_storage_fail_clearly(sagemaker: Any) -> None:
    unconfigured = SageMakerTarget(sagemaker, SageMakerConfig(None, None, None, "bucket"))
    with pytest.raises(DeploymentFailed, match="sagemaker_image_uri"):
        unconfigured.deploy(request(1, "a" * 32))
    foreign = request(1, "a" * 32)
    foreign.version.storage_location = "file:///tmp/model"
    with pytest.raises(DeploymentFailed, match="not in S3"):
        SageMakerTarget(sagemaker, CONFIG).deploy(foreign)


def test_an_endpoint_stuck_updating_fails_after_the_wait(sagemaker: Any, updates: list[Any]) -> None:
    target = SageMakerTarget(sagemaker, CONFIG, sleep=lambda _: None)
    target.deploy(request(1, "a" * 32))
    from moto.sagemaker.models import sagemaker_backends

    endpoint = sagemaker_backends["123456789012"]["us-east-1"].endpoints["trackway-iris-classifier"]
    endpoint.endpoint_status = "Updating"
    ticks = iter(range(100))
    slow = SageMakerTarget(sagemaker, CONFIG, sleep=lambda _: None, clock=lambda: float(next(ticks)))
    with pytest.raises(DeploymentFailed, match="still Updating"):
        slow.deploy(request(2, "b" * 32))
