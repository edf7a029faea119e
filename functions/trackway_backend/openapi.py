"""docs/openapi.json (OpenAPI 3.1), generated from the route table and the wire models.

Regenerate with `make openapi` (`python -m trackway_backend.openapi --write docs/openapi.json`); a test fails
while the committed document differs from what this module generates. No handler imports this module, so
a cold start never pays for it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from trackway_backend import __version__
from trackway_backend.api_contract import OPERATIONS, Operation, Raw, Redirect
from trackway_backend.routes import ROUTES, Route
from trackway_backend.wire.response_schemas import Error

REGENERATE = "make openapi"
_REF = "#/components/schemas/{model}"
_DESCRIPTION = (
    "trackway speaks MLflow's REST API (tracking, model registry, mlflow-artifacts) plus its serving and "
    "deployment routes. GET routes take their parameters in the query string; every other method takes a JSON "
    "body (`Content-Type: application/json`), DELETE included, as the mlflow client sends them. Every error is "
    "MLflow's `{error_code, message}`: 4xx for a request that cannot be served, 503 with `Retry-After` when the "
    "client should retry. In AWS, API Gateway authorizes each request (IAM SigV4, or a JWT when configured). The "
    "local stack (`make run`) listens on loopback and refuses a foreign `Host` or `Origin` (403) and a body on a "
    "JSON route that is not `application/json` (415)."
)


class ContractError(Exception):
    """The route table and api_contract.OPERATIONS disagree."""


def _check_coverage() -> None:
    keys = {route.route_key for route in ROUTES}
    missing = sorted(keys - OPERATIONS.keys())
    unknown = sorted(OPERATIONS.keys() - keys)
    if missing or unknown:
        raise ContractError(
            "api_contract.OPERATIONS must describe exactly the routes of routes.py. "
            f"Routes without an operation: {missing or 'none'}; operations without a route: {unknown or 'none'}."
        )


def _models() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"Error": Error}
    for operation in OPERATIONS.values():
        for part in (operation.request, operation.response):
            if isinstance(part, type):
                found.setdefault(f"{part.__module__}.{part.__qualname__}", part)
    return list(found.values())


def _schemas() -> tuple[dict[type[BaseModel], dict[str, Any]], dict[str, Any]]:
    models = _models()
    refs, definitions = models_json_schema([(model, "validation") for model in models], ref_template=_REF)
    by_model = {model: refs[(model, "validation")] for model in models}
    return by_model, definitions.get("$defs", {})


def openapi_path(route: Route) -> str:
    """API Gateway's greedy `{path+}` is one parameter `{path}` in OpenAPI (slashes percent-encoded)."""
    return route.path.replace("+}", "}")


def _operation_id(route: Route) -> str:
    return f"{route.method.lower()}_{re.sub(r'[^A-Za-z0-9]+', '_', route.path).strip('_')}"


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    return [
        {"name": name.rstrip("+"), "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in re.findall(r"\{([^}]+)\}", route.path)
    ]


def _query_parameters(reference: dict[str, Any], definitions: dict[str, Any]) -> list[dict[str, Any]]:
    schema = definitions[reference["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _without_null(prop),
        }
        if prop.get("type") == "array":
            parameter |= {"style": "form", "explode": True}
        parameters.append(parameter)
    return parameters


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query string cannot carry null: an optional parameter is left out instead."""
    options: list[dict[str, Any]] = [option for option in schema.get("anyOf", ()) if option != {"type": "null"}]
    if len(options) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
    return options[0] | rest


def _media(raw: Raw) -> dict[str, Any]:
    return {media_type: {"schema": schema} for media_type, schema in raw.content.items()}


def _error_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model="Error")}}},
    }


def _responses(operation: Operation, refs: dict[type[BaseModel], dict[str, Any]]) -> dict[str, Any]:
    answer = operation.response
    responses: dict[str, Any]
    if isinstance(answer, Redirect):
        responses = {
            "302": {"description": answer.description, "headers": {"Location": {"schema": {"type": "string"}}}}
        }
    elif isinstance(answer, Raw):
        responses = {"200": {"description": answer.description, "content": _media(answer)}}
    else:
        description = (answer.__doc__ or "OK").strip().splitlines()[0]
        responses = {"200": {"description": description, "content": {"application/json": {"schema": refs[answer]}}}}
    for status, why in sorted(operation.extra_statuses.items()):
        responses[str(status)] = _error_response(why)
    responses["4XX"] = _error_response("The request cannot be served: MLflow's error body says why.")
    retry = _error_response("Contention the server could not resolve in time; retry after `Retry-After` seconds.")
    responses["503"] = retry | {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
    return responses


def _operation(
    route: Route, operation: Operation, refs: dict[type[BaseModel], dict[str, Any]], definitions: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "operationId": _operation_id(route),
        "summary": operation.summary,
        "tags": [route.function.value],
    }
    parameters = _path_parameters(route)
    request = operation.request
    if isinstance(request, Raw):
        body["requestBody"] = {"required": True, "description": request.description, "content": _media(request)}
    elif request is not None and route.method == "GET":
        parameters += _query_parameters(refs[request], definitions)
    elif request is not None:
        body["requestBody"] = {"required": True, "content": {"application/json": {"schema": refs[request]}}}
    if parameters:
        body["parameters"] = parameters
    body["responses"] = _responses(operation, refs)
    return body


def generate() -> dict[str, Any]:
    _check_coverage()
    refs, definitions = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        item = paths.setdefault(openapi_path(route), {})
        item[route.method.lower()] = _operation(route, OPERATIONS[route.route_key], refs, definitions)
    return {
        "openapi": "3.1.0",
        "info": {"title": "trackway", "version": __version__, "description": _DESCRIPTION},
        "servers": [{"url": "http://127.0.0.1:5000", "description": "The local stack (`make run`)."}],
        "paths": paths,
        "components": {"schemas": definitions},
    }


def render() -> str:
    return json.dumps(generate(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", type=Path, help="write the document here instead of to stdout")
    args = parser.parse_args(argv)
    text = render()
    if args.write is None:
        sys.stdout.write(text)
    else:
        args.write.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
