"""The UI's GraphQL endpoint: each root field is answered by calling trackway's REST routes through the
transport. graphql-core (a dependency of mlflow, so present with the `ui` extra) parses, validates and
shapes the answer; resolvers only fetch and rename."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, cast

from trackway.ui.api import Api, ApiError
from trackway.ui.artifacts import list_dir, run_root
from trackway.ui.graphql_schema import SDL

_MLFLOW = "/api/2.0/mlflow"
_CAMEL = re.compile(r"_([a-z0-9])")
Resolver = Callable[..., Any]


def _camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {_CAMEL.sub(lambda m: m.group(1).upper(), key): _camel(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel(item) for item in value]
    return value


def camel(value: dict[str, Any]) -> dict[str, Any]:
    """snake_case keys (the REST wire) → camelCase keys (the GraphQL schema), recursively."""
    return cast(dict[str, Any], _camel(value))


def _finite(value: Any) -> float | None:
    """MLflow answers NaN metrics with null (GraphQL floats cannot carry NaN); infinities clamp as its SQL
    store clamps them."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(number):
        return None
    return max(min(number, 1.7976931348623157e308), -1.7976931348623157e308)


def _metrics(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**metric, "value": _finite(metric.get("value"))} for metric in metrics]


def _api_error(exc: ApiError) -> dict[str, Any]:
    return {"apiError": {"code": exc.code, "message": exc.message}}


def _guarded(resolve: Callable[[Api, dict[str, Any]], dict[str, Any]]) -> Callable[[Api], Resolver]:
    def bind(api: Api) -> Resolver:
        def resolver(_info: Any, input: dict[str, Any] | None = None) -> dict[str, Any]:
            try:
                return resolve(api, input or {})
            except ApiError as exc:
                return _api_error(exc)

        return resolver

    return bind


def _experiment(api: Api, experiment_id: str) -> dict[str, Any]:
    return camel(api.get(f"{_MLFLOW}/experiments/get", experiment_id=experiment_id)["experiment"])


def _model_versions(api: Api, run_id: str) -> list[dict[str, Any]]:
    found = api.get(f"{_MLFLOW}/model-versions/search", filter=f"run_id = '{run_id}'", max_results=100)
    return [camel(version) for version in found.get("model_versions", [])]


def _run(api: Api, run: dict[str, Any], experiments: dict[str, dict[str, Any]]) -> dict[str, Any]:
    shaped = camel(run)
    info = shaped.setdefault("info", {})
    info.setdefault("runUuid", info.get("runId"))
    data = shaped.setdefault("data", {})
    data["metrics"] = _metrics(data.get("metrics", []))
    experiment_id, run_id = str(info.get("experimentId", "")), str(info.get("runId", ""))

    def experiment(_info: Any) -> dict[str, Any]:
        if experiment_id not in experiments:
            experiments[experiment_id] = _experiment(api, experiment_id)
        return experiments[experiment_id]

    # graphql-core's default resolver calls a callable field with (info, **args): a request only when selected.
    shaped["experiment"] = experiment
    shaped["modelVersions"] = lambda _info: _model_versions(api, run_id)
    return shaped


@_guarded
def get_experiment(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    return {"experiment": _experiment(api, str(request.get("experimentId") or ""))}


@_guarded
def get_run(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    run_id = request.get("runId") or request.get("runUuid") or ""
    run = api.get(f"{_MLFLOW}/runs/get", run_id=run_id)["run"]
    return {"run": _run(api, run, {})}


@_guarded
def search_runs(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    body = {
        "experiment_ids": request.get("experimentIds") or [],
        "filter": request.get("filter") or "",
        "run_view_type": request.get("runViewType") or "ACTIVE_ONLY",
        "max_results": request.get("maxResults") or 1000,
        "order_by": request.get("orderBy") or [],
    }
    if request.get("pageToken"):
        body["page_token"] = request["pageToken"]
    found = api.post(f"{_MLFLOW}/runs/search", body)
    experiments: dict[str, dict[str, Any]] = {}
    return {
        "runs": [_run(api, run, experiments) for run in found.get("runs", [])],
        "nextPageToken": found.get("next_page_token"),
    }


@_guarded
def metric_history_bulk_interval(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    found = api.get(
        f"{_MLFLOW}/metrics/get-history-bulk-interval",
        run_ids=request.get("runIds") or [],
        metric_key=request.get("metricKey") or "",
        start_step=request.get("startStep"),
        end_step=request.get("endStep"),
        max_results=request.get("maxResults"),
    )
    return {"metrics": _metrics([camel(metric) for metric in found.get("metrics", [])])}


@_guarded
def list_artifacts(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    root_uri, root = run_root(api, str(request.get("runId") or request.get("runUuid") or ""))
    return camel(list_dir(api, root_uri, root, str(request.get("path") or "")))


@_guarded
def search_model_versions(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    found = api.get(
        f"{_MLFLOW}/model-versions/search",
        filter=request.get("filter"),
        max_results=request.get("maxResults"),
        order_by=request.get("orderBy"),
        page_token=request.get("pageToken"),
    )
    return camel({"model_versions": found.get("model_versions", []), "next_page_token": found.get("next_page_token")})


@_guarded
def search_datasets(api: Api, request: dict[str, Any]) -> dict[str, Any]:
    return {"datasetSummaries": []}


def _echo(_info: Any, inputString: str | None = None) -> dict[str, Any]:
    return {"output": inputString}


@lru_cache(maxsize=1)
def _schema() -> Any:
    from graphql import build_schema

    schema = build_schema(SDL)
    long_string = schema.type_map["LongString"]
    long_string.serialize = str  # type: ignore[attr-defined]
    long_string.parse_value = int  # type: ignore[attr-defined]
    return schema


class GraphQL:
    """Executes one GraphQL request (`{query, variables, operationName}`) against the trackway API."""

    def __init__(self, api: Api):
        self.root = {
            "mlflowGetExperiment": get_experiment(api),
            "mlflowGetRun": get_run(api),
            "mlflowSearchRuns": search_runs(api),
            "mlflowGetMetricHistoryBulkInterval": metric_history_bulk_interval(api),
            "mlflowListArtifacts": list_artifacts(api),
            "mlflowSearchModelVersions": search_model_versions(api),
            "mlflowSearchDatasets": search_datasets(api),
            "test": _echo,
            "testMutation": _echo,
        }

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        from graphql import graphql_sync

        query = request.get("query")
        if not isinstance(query, str) or not query.strip():
            raise ApiError(400, "INVALID_PARAMETER_VALUE", "a GraphQL request needs a 'query' string")
        variables = request.get("variables")
        result = graphql_sync(
            _schema(),
            query,
            root_value=self.root,
            variable_values=variables if isinstance(variables, dict) else None,
            operation_name=request.get("operationName") or None,
        )
        return {"data": result.data, "errors": [error.message for error in result.errors] if result.errors else None}
