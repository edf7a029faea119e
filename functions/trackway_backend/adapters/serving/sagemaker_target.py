"""The SageMaker target: the version's MLflow model as a SageMaker model, a new endpoint config, then
`UpdateEndpoint` with a blue/green deployment config (SageMaker shifts traffic to the new fleet, bakes, and
keeps the old one until then; a failed update leaves the old config serving). The model's files are read
in place from the artifact bucket (an uncompressed S3 prefix), by an MLflow pyfunc serving image
(`mlflow sagemaker build-and-push-container`) given as `sagemaker_image_uri`."""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from trackway_backend.deployment_ports import DeploymentFailed, DeployRequest, ServingTarget
from trackway_backend.logic.artifact_paths import root_of

if TYPE_CHECKING:
    from botocore.client import BaseClient

log = logging.getLogger(__name__)
MAX_NAME = 63
VARIANT = "AllTraffic"
_UNSAFE = re.compile(r"[^a-zA-Z0-9]+")
_SETTLING = {"Creating", "Updating", "SystemUpdating", "RollingBack"}
BLUE_GREEN: dict[str, Any] = {
    "BlueGreenUpdatePolicy": {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 60},
        "TerminationWaitInSeconds": 120,
        "MaximumExecutionTimeoutInSeconds": 1800,
    }
}


@dataclass(frozen=True)
class SageMakerConfig:
    role_arn: str | None
    resource_prefix: str | None
    image_uri: str | None
    artifact_bucket: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    wait_seconds: float = 240.0
    poll_seconds: float = 15.0


def resource_name(prefix: str, *parts: str) -> str:
    """A SageMaker name (≤ 63 of [a-zA-Z0-9-]) under `prefix-`, the only names the function may manage;
    a hash keeps truncated names distinct."""
    body = "-".join(_UNSAFE.sub("-", part).strip("-") for part in parts if part)
    name = f"{prefix}-{body}"
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: MAX_NAME - 9].rstrip('-')}-{digest}"


def endpoint_name(prefix: str, model: str) -> str:
    return resource_name(prefix, model)


class SageMakerTarget(ServingTarget):
    name = "sagemaker"

    def __init__(
        self,
        client: BaseClient,
        config: SageMakerConfig,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sm: Any = client
        self._config = config
        self._sleep = sleep
        self._clock = clock

    def deploy(self, request: DeployRequest) -> dict[str, str]:
        prefix, role, image = self._required()
        endpoint = endpoint_name(prefix, request.name)
        resource = resource_name(prefix, request.name, f"v{request.version.version}", request.deployment_id[:8])
        self._create_model(resource, role, image, self._model_data(request))
        self._call(
            "create_endpoint_config",
            EndpointConfigName=resource,
            ProductionVariants=[
                {
                    "VariantName": VARIANT,
                    "ModelName": resource,
                    "InstanceType": self._config.instance_type,
                    "InitialInstanceCount": self._config.instance_count,
                    "InitialVariantWeight": 1.0,
                }
            ],
            Tags=_tags(request),
        )
        previous = self._endpoint(endpoint)
        if previous is None:
            self._call("create_endpoint", EndpointName=endpoint, EndpointConfigName=resource, Tags=_tags(request))
        else:
            self._call(
                "update_endpoint", EndpointName=endpoint, EndpointConfigName=resource, DeploymentConfig=BLUE_GREEN
            )
        details = {"endpoint_name": endpoint, "endpoint_config": resource, "model_name": resource}
        if previous is not None:
            details["previous_endpoint_config"] = str(previous["EndpointConfigName"])
        self._wait_for(endpoint, resource)
        return details

    def check(self, request: DeployRequest, details: dict[str, str]) -> None:
        found = self._endpoint(details["endpoint_name"])
        if found is None or found["EndpointStatus"] != "InService":
            raise DeploymentFailed(f"endpoint {details['endpoint_name']} is not InService")
        if found["EndpointConfigName"] != details["endpoint_config"]:
            raise DeploymentFailed(f"endpoint {details['endpoint_name']} serves {found['EndpointConfigName']}")

    def restore(self, request: DeployRequest, details: dict[str, str]) -> None:
        previous = details.get("previous_endpoint_config")
        if previous is None:
            log.warning("endpoint %s had no previous config; it is left as it is", details.get("endpoint_name"))
            return
        try:
            self._call(
                "update_endpoint",
                EndpointName=details["endpoint_name"],
                EndpointConfigName=previous,
                DeploymentConfig=BLUE_GREEN,
            )
        except DeploymentFailed as exc:
            log.error("could not restore endpoint %s to %s: %s", details["endpoint_name"], previous, exc.reason)

    def _required(self) -> tuple[str, str, str]:
        config = self._config
        if not (config.resource_prefix and config.role_arn and config.image_uri):
            raise DeploymentFailed(
                "the SageMaker target needs sagemaker_resource_prefix, sagemaker_execution_role_arn and "
                "sagemaker_image_uri (an MLflow pyfunc serving image)"
            )
        return config.resource_prefix, config.role_arn, config.image_uri

    def _model_data(self, request: DeployRequest) -> str:
        location = request.version.storage_location or request.version.source
        if location.startswith("s3://"):
            return location.rstrip("/") + "/"
        root = root_of(location)
        if root is None:
            raise DeploymentFailed(f"version {request.version.version} is stored at {location}, not in S3")
        return f"s3://{self._config.artifact_bucket}/{root}/"

    def _create_model(self, name: str, role: str, image: str, model_data: str) -> None:
        try:
            self._sm.create_model(
                ModelName=name,
                ExecutionRoleArn=role,
                PrimaryContainer={
                    "Image": image,
                    "ModelDataSource": {
                        "S3DataSource": {"S3Uri": model_data, "S3DataType": "S3Prefix", "CompressionType": "None"}
                    },
                    "Environment": {"MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function"},
                },
            )
        except ClientError as exc:
            if "already exist" not in str(exc):  # a retried deployment made it already
                raise DeploymentFailed(f"create_model failed: {exc}") from exc

    def _endpoint(self, name: str) -> dict[str, Any] | None:
        try:
            return dict(self._sm.describe_endpoint(EndpointName=name))
        except ClientError as exc:
            if "Could not find" in str(exc):
                return None
            raise DeploymentFailed(f"describe_endpoint failed: {exc}") from exc

    def _wait_for(self, endpoint: str, config: str) -> None:
        deadline = self._clock() + self._config.wait_seconds
        while True:
            found = self._endpoint(endpoint) or {}
            status = found.get("EndpointStatus")
            if status not in _SETTLING:
                break
            if self._clock() >= deadline:
                raise DeploymentFailed(f"endpoint {endpoint} is still {status} after {self._config.wait_seconds:g} s")
            self._sleep(self._config.poll_seconds)
        if status != "InService" or found.get("EndpointConfigName") != config:
            reason = found.get("FailureReason") or f"status {status}, serving {found.get('EndpointConfigName')}"
            raise DeploymentFailed(f"endpoint {endpoint} did not take {config}: {reason}")

    def _call(self, operation: str, **kwargs: Any) -> None:
        try:
            getattr(self._sm, operation)(**kwargs)
        except ClientError as exc:
            raise DeploymentFailed(f"{operation} failed: {exc}") from exc


def _tags(request: DeployRequest) -> list[dict[str, str]]:
    return [
        {"Key": "trackway:model", "Value": request.name[:256]},
        {"Key": "trackway:version", "Value": str(request.version.version)},
        {"Key": "trackway:deployment", "Value": request.deployment_id},
    ]
