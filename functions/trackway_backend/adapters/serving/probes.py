"""The health probe: the serving function's own `/health` route, asked to predict on the model's sample
input and to confirm it serves the expected version. In AWS the deployment function invokes the serving
function directly; locally (and in tests), where every function lives in one process, it calls its handler."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from trackway_backend.deployment_ports import ProbeResult, ServingProbe

if TYPE_CHECKING:
    from botocore.client import BaseClient


def health_event(name: str, version: int) -> dict[str, Any]:
    """An API Gateway HTTP API (2.0) event for `GET /serving/<name>/health?predict=true&expect_version=N`."""
    path = f"/serving/{quote(name, safe='')}/health"
    query = urlencode({"predict": "true", "expect_version": str(version)})
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "GET /serving/{model}/health",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"user-agent": "trackway-deployment"},
        "queryStringParameters": {"predict": "true", "expect_version": str(version)},
        "pathParameters": {"model": quote(name, safe="")},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "deployment-probe",
            "http": {"method": "GET", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": uuid.uuid4().hex,
            "routeKey": "GET /serving/{model}/health",
            "stage": "$default",
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }


def result_of(response: dict[str, Any]) -> ProbeResult:
    try:
        body = json.loads(response.get("body") or "{}")
    except ValueError:
        body = {"message": str(response.get("body"))[:500]}
    return ProbeResult(int(response.get("statusCode", 500)), body if isinstance(body, dict) else {"body": body})


class LambdaProbe(ServingProbe):
    def __init__(self, client: BaseClient, function_name: str) -> None:
        self._lambda = client
        self._function = function_name

    def probe(self, name: str, version: int) -> ProbeResult:
        response = self._lambda.invoke(  # type: ignore[attr-defined]
            FunctionName=self._function, Payload=json.dumps(health_event(name, version)).encode()
        )
        payload = json.loads(response["Payload"].read() or b"{}")
        if response.get("FunctionError"):
            return ProbeResult(500, {"message": f"serving function error: {payload.get('errorMessage', payload)}"})
        return result_of(payload)


@dataclass
class _Context:
    function_name: str = "trackway-serving"
    aws_request_id: str = "deployment-probe"
    memory_limit_in_mb: int = 2048
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:trackway-serving"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 30_000


class InProcessProbe(ServingProbe):
    def probe(self, name: str, version: int) -> ProbeResult:
        from trackway_backend.handlers import serving

        context: Any = _Context(aws_request_id=uuid.uuid4().hex)
        return result_of(serving.handler(health_event(name, version), context))
