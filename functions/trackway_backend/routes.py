"""The route table: the one declaration of every HTTP route and the function that serves it.

The CDK stack builds API Gateway routes from it, the local stack dispatches with it, and each handler's
resolver is checked against it in tests, so the three can never disagree. Paths use API Gateway syntax:
`{name}` is one path segment, `{name+}` is greedy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property


class Function(StrEnum):
    TRACKING = "tracking"
    REGISTRY = "registry"
    ARTIFACTS = "artifacts"
    SERVING = "serving"


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    function: Function

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        def segment(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.endswith("+"):
                return f"(?P<{name[:-1]}>.+)"
            return f"(?P<{name}>[^/]+)"

        return re.compile("^" + re.sub(r"\{([^}]+)\}", segment, self.path) + "$")

    @property
    def resolver_path(self) -> str:
        """The path as a Powertools resolver rule: `{name}` becomes `<name>`, which never matches a `/`.

        A greedy `{name+}` becomes an unnamed `(.+)`: Powertools names groups only from `<name>`, so a
        handler reads greedy parameters with `params()`.
        """

        def segment(match: re.Match[str]) -> str:
            name = match.group(1)
            return "(.+)" if name.endswith("+") else f"<{name}>"

        return re.sub(r"\{([^}]+)\}", segment, self.path)

    def params(self, path: str) -> dict[str, str]:
        """The path parameters of `path` (raw, still percent-encoded), or {} when it does not match."""
        found = self.pattern.match(path)
        return found.groupdict() if found else {}


_T, _R, _A, _S = Function.TRACKING, Function.REGISTRY, Function.ARTIFACTS, Function.SERVING
_MLFLOW = "/api/2.0/mlflow"
_ARTIFACTS = "/api/2.0/mlflow-artifacts"

_TRACKING = [
    ("GET", "/health"),
    ("GET", "/version"),
    ("GET", "/api/3.0/mlflow/server-info"),
    ("POST", f"{_MLFLOW}/experiments/create"),
    ("GET", f"{_MLFLOW}/experiments/get"),
    ("GET", f"{_MLFLOW}/experiments/get-by-name"),
    ("POST", f"{_MLFLOW}/experiments/search"),
    ("GET", f"{_MLFLOW}/experiments/search"),
    ("POST", f"{_MLFLOW}/experiments/update"),
    ("POST", f"{_MLFLOW}/experiments/delete"),
    ("POST", f"{_MLFLOW}/experiments/restore"),
    ("POST", f"{_MLFLOW}/experiments/set-experiment-tag"),
    ("POST", f"{_MLFLOW}/experiments/delete-experiment-tag"),
    ("POST", f"{_MLFLOW}/runs/create"),
    ("GET", f"{_MLFLOW}/runs/get"),
    ("POST", f"{_MLFLOW}/runs/update"),
    ("POST", f"{_MLFLOW}/runs/delete"),
    ("POST", f"{_MLFLOW}/runs/restore"),
    ("POST", f"{_MLFLOW}/runs/set-tag"),
    ("POST", f"{_MLFLOW}/runs/delete-tag"),
    ("POST", f"{_MLFLOW}/runs/log-metric"),
    ("POST", f"{_MLFLOW}/runs/log-parameter"),
    ("POST", f"{_MLFLOW}/runs/log-batch"),
    ("POST", f"{_MLFLOW}/runs/log-inputs"),
    ("POST", f"{_MLFLOW}/runs/outputs"),
    ("POST", f"{_MLFLOW}/runs/log-model"),
    ("POST", f"{_MLFLOW}/runs/search"),
    ("GET", f"{_MLFLOW}/metrics/get-history"),
    ("GET", f"{_MLFLOW}/metrics/get-history-bulk-interval"),
    ("POST", f"{_MLFLOW}/logged-models"),
    ("POST", f"{_MLFLOW}/logged-models/search"),
    ("GET", f"{_MLFLOW}/logged-models/{{model_id}}"),
    ("PATCH", f"{_MLFLOW}/logged-models/{{model_id}}"),
    ("DELETE", f"{_MLFLOW}/logged-models/{{model_id}}"),
    ("PATCH", f"{_MLFLOW}/logged-models/{{model_id}}/tags"),
    ("DELETE", f"{_MLFLOW}/logged-models/{{model_id}}/tags/{{tag_key}}"),
    ("POST", f"{_MLFLOW}/logged-models/{{model_id}}/params"),
    ("POST", f"{_MLFLOW}/experiments/permissions/create"),
    ("GET", f"{_MLFLOW}/experiments/permissions/get"),
    ("PATCH", f"{_MLFLOW}/experiments/permissions/update"),
    ("DELETE", f"{_MLFLOW}/experiments/permissions/delete"),
]

_REGISTRY = [
    ("POST", f"{_MLFLOW}/registered-models/create"),
    ("GET", f"{_MLFLOW}/registered-models/get"),
    ("GET", f"{_MLFLOW}/registered-models/search"),
    ("POST", f"{_MLFLOW}/registered-models/rename"),
    ("PATCH", f"{_MLFLOW}/registered-models/update"),
    ("DELETE", f"{_MLFLOW}/registered-models/delete"),
    ("POST", f"{_MLFLOW}/registered-models/get-latest-versions"),
    ("GET", f"{_MLFLOW}/registered-models/get-latest-versions"),
    ("POST", f"{_MLFLOW}/registered-models/set-tag"),
    ("DELETE", f"{_MLFLOW}/registered-models/delete-tag"),
    ("POST", f"{_MLFLOW}/registered-models/alias"),
    ("DELETE", f"{_MLFLOW}/registered-models/alias"),
    ("GET", f"{_MLFLOW}/registered-models/alias"),
    ("POST", f"{_MLFLOW}/model-versions/create"),
    ("GET", f"{_MLFLOW}/model-versions/get"),
    ("PATCH", f"{_MLFLOW}/model-versions/update"),
    ("POST", f"{_MLFLOW}/model-versions/transition-stage"),
    ("DELETE", f"{_MLFLOW}/model-versions/delete"),
    ("GET", f"{_MLFLOW}/model-versions/search"),
    ("GET", f"{_MLFLOW}/model-versions/get-download-uri"),
    ("POST", f"{_MLFLOW}/model-versions/set-tag"),
    ("DELETE", f"{_MLFLOW}/model-versions/delete-tag"),
    ("POST", f"{_MLFLOW}/registered-models/permissions/create"),
    ("GET", f"{_MLFLOW}/registered-models/permissions/get"),
    ("PATCH", f"{_MLFLOW}/registered-models/permissions/update"),
    ("DELETE", f"{_MLFLOW}/registered-models/permissions/delete"),
    ("POST", "/api/3.0/mlflow/users/permissions/grant"),
    ("POST", "/api/3.0/mlflow/users/permissions/revoke"),
    ("GET", "/api/3.0/mlflow/users/permissions/get"),
]

_ARTIFACT_ROUTES = [
    ("GET", f"{_ARTIFACTS}/artifacts"),
    ("GET", f"{_ARTIFACTS}/artifacts/{{path+}}"),
    ("PUT", f"{_ARTIFACTS}/artifacts/{{path+}}"),
    ("DELETE", f"{_ARTIFACTS}/artifacts/{{path+}}"),
    ("POST", f"{_ARTIFACTS}/mpu/create/{{path+}}"),
    ("POST", f"{_ARTIFACTS}/mpu/complete/{{path+}}"),
    ("POST", f"{_ARTIFACTS}/mpu/abort/{{path+}}"),
    ("GET", f"{_ARTIFACTS}/presigned/{{path+}}"),
]

_SERVING = [
    ("POST", "/serving/{model}/invocations"),
    ("GET", "/serving/{model}/health"),
    ("GET", "/serving/{model}/version"),
    ("GET", "/api/2.0/trackway/deployments"),
]

ROUTES: tuple[Route, ...] = tuple(
    Route(method, path, function)
    for function, table in ((_T, _TRACKING), (_R, _REGISTRY), (_A, _ARTIFACT_ROUTES), (_S, _SERVING))
    for method, path in table
)


def routes_for(function: Function) -> tuple[Route, ...]:
    return tuple(route for route in ROUTES if route.function is function)


def match(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route serving `method path` and its path parameters, or None."""
    for route in ROUTES:
        if route.method == method and (found := route.pattern.match(path)):
            return route, found.groupdict()
    return None
