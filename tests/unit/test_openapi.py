"""docs/openapi.json is what the route table and the wire models generate, and it is a valid OpenAPI 3.1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.definitions import OPENAPI_31

from trackway_backend import api_contract, openapi
from trackway_backend.api_contract import Operation
from trackway_backend.routes import ROUTES
from trackway_backend.wire.response_schemas import Empty

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"


def test_the_committed_document_is_what_the_code_generates() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8")
    assert committed == openapi.render(), (
        f"docs/openapi.json is stale: the route table or the wire models changed. Regenerate it with "
        f"`{openapi.REGENERATE}` and commit the result."
    )


def test_every_route_has_one_operation_with_an_error_body() -> None:
    paths = openapi.generate()["paths"]
    operations = {(method.upper(), path) for path, item in paths.items() for method in item}
    assert operations == {(route.method, openapi.openapi_path(route)) for route in ROUTES}
    for item in paths.values():
        for operation in item.values():
            assert operation["responses"]["4XX"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }


def test_a_route_without_an_operation_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    operations = dict(api_contract.OPERATIONS)
    operations.pop("GET /api/2.0/mlflow/runs/get")
    monkeypatch.setattr(openapi, "OPERATIONS", operations)
    with pytest.raises(openapi.ContractError, match=r"Routes without an operation: \['GET /api/2.0/mlflow/runs/get'\]"):
        openapi.generate()


def test_an_operation_without_a_route_stops_the_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    operations = dict(api_contract.OPERATIONS) | {"POST /api/2.0/mlflow/runs/nothing": Operation("x", None, Empty)}
    monkeypatch.setattr(openapi, "OPERATIONS", operations)
    with pytest.raises(
        openapi.ContractError, match=r"operations without a route: \['POST /api/2.0/mlflow/runs/nothing'\]"
    ):
        openapi.generate()


def test_get_routes_take_query_parameters_and_the_others_a_json_body() -> None:
    paths = openapi.generate()["paths"]
    search = paths["/api/2.0/mlflow/experiments/search"]
    assert "requestBody" not in search["get"]
    order_by = next(p for p in search["get"]["parameters"] if p["name"] == "order_by")
    assert order_by["in"] == "query" and order_by["explode"] is True and order_by["schema"]["type"] == "array"
    page_token = next(p for p in search["get"]["parameters"] if p["name"] == "page_token")
    assert page_token["schema"]["type"] == "string"  # a query string carries no null
    assert search["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchExperiments"
    }
    delete = paths["/api/2.0/mlflow/registered-models/delete"]["delete"]
    assert delete["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelRequest"
    }
    greedy = paths["/api/2.0/mlflow-artifacts/artifacts/{path}"]["get"]
    assert [(p["name"], p["in"], p["required"]) for p in greedy["parameters"]] == [("path", "path", True)]
    assert "302" in greedy["responses"]


def test_the_document_is_openapi_3_1_and_its_schemas_are_valid_json_schema() -> None:
    document = json.loads(DOCUMENT.read_text(encoding="utf-8"))
    assert document["openapi"] == "3.1.0"
    # OPENAPI_31: the OpenAPI Initiative's schema of 3.1 documents, as schemathesis ships it
    problems = [f"{list(e.path)}: {e.message}" for e in Draft202012Validator(OPENAPI_31).iter_errors(document)]
    assert problems == []
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    referenced = {ref.rsplit("/", 1)[-1] for ref in _refs(document)}
    assert referenced <= document["components"]["schemas"].keys()


def test_the_regenerate_command_writes_the_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    subprocess.run([sys.executable, "-m", "trackway_backend.openapi", "--write", str(target)], check=True)
    assert target.read_text(encoding="utf-8") == openapi.render()


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []
