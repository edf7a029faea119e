"""Serving through a SageMaker endpoint: the serving function forwards scoring requests to the endpoint
the deployment recorded in the live deployment."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from trackway_backend.deployment_domain import LiveDeployment
from trackway_backend.deployment_ports import ModelLoader, Predictor, Scored
from trackway_backend.errors import InternalError
from trackway_backend.registry_domain import ModelVersion

if TYPE_CHECKING:
    from botocore.client import BaseClient


class SageMakerPredictor(Predictor):
    def __init__(self, runtime: BaseClient, endpoint: str) -> None:
        self._runtime: Any = runtime
        self._endpoint = endpoint

    def invocations(self, body: str, content_type: str) -> Scored:
        try:
            response = self._runtime.invoke_endpoint(
                EndpointName=self._endpoint, ContentType=content_type, Accept="application/json", Body=body.encode()
            )
        except ClientError as exc:
            error = exc.response.get("Error", {})
            status = int(exc.response.get("OriginalStatusCode") or 502)  # type: ignore[call-overload]
            return Scored(status, str(exc.response.get("OriginalMessage") or error.get("Message", "")))
        return Scored(200, response["Body"].read().decode(), str(response.get("ContentType", "application/json")))

    def sample_input(self) -> str | None:
        return None


class SageMakerLoader(ModelLoader):
    def __init__(self, runtime: BaseClient) -> None:
        self._runtime = runtime

    def load(self, version: ModelVersion, live: LiveDeployment) -> Predictor:
        endpoint = live.details.get("endpoint_name")
        if not endpoint:
            raise InternalError(f"The live deployment of {version.name} names no SageMaker endpoint")
        return SageMakerPredictor(self._runtime, endpoint)
