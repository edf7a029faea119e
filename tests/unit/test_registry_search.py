"""The registered-model and model-version search grammars (MLFLOW_WIRE §4)."""

from __future__ import annotations

import pytest

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.registry_entities import model_versions_query, registered_models_query
from trackway_backend.registry_domain import ModelVersion, RegisteredModel

MODELS = [
    RegisteredModel("iris", "1", 10, 40, tags={"team": "cv"}),
    RegisteredModel("Iris-large", "2", 20, 30),
    RegisteredModel("wine", "3", 30, 20, tags={"team": "nlp"}),
    RegisteredModel("summarize", "4", 40, 10, tags={"mlflow.prompt.is_prompt": "true"}),
]


def version(name: str, number: int, updated: int, run_id: str = "r", tags: dict[str, str] | None = None):
    return ModelVersion(name, number, updated, updated, f"s3://b/{name}/{number}", "", run_id=run_id, tags=tags or {})


VERSIONS = [
    version("iris", 1, 10, "r1"),
    version("iris", 2, 30, "r2", {"approved": "yes"}),
    version("wine", 1, 20, "r3"),
]


def model_names(filter_string: str | None, order_by: list[str] | None = None) -> list[str]:
    page = registered_models_query(filter_string, order_by or [], 100, None).run(MODELS)
    return [model.name for model in page.items]


def version_keys(filter_string: str | None, order_by: list[str] | None = None) -> list[tuple[str, int]]:
    page = model_versions_query(filter_string, order_by or [], 100, None).run(VERSIONS)
    return [(v.name, v.version) for v in page.items]


def test_the_clients_prompt_clause_keeps_untagged_models() -> None:
    assert model_names("tag.`mlflow.prompt.is_prompt` != 'true'") == ["Iris-large", "iris", "wine"]
    assert model_names(None) == ["Iris-large", "iris", "wine"]


def test_prompts_only_when_asked_for() -> None:
    assert model_names("tags.`mlflow.prompt.is_prompt` = 'true'") == ["summarize"]
    assert model_names("tags.`mlflow.prompt.is_prompt` != 'false'") == ["summarize"]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'iris'", ["iris"]),
        ("name != 'iris' AND tags.`mlflow.prompt.is_prompt` != 'true'", ["Iris-large", "wine"]),
        ("name LIKE 'iris%'", ["iris"]),
        ("name ILIKE 'iris%'", ["Iris-large", "iris"]),
        ("name IN ('wine', 'iris')", ["iris", "wine"]),
        ("tags.team = 'cv'", ["iris"]),
        ("tags.team LIKE '%'", ["iris", "wine"]),
    ],
)
def test_model_filters(filter_string: str, expected: list[str]) -> None:
    assert model_names(filter_string) == expected


def test_model_order_by() -> None:
    assert model_names(None, ["last_updated_timestamp DESC"]) == ["iris", "Iris-large", "wine"]
    assert model_names(None, ["timestamp ASC"]) == ["wine", "Iris-large", "iris"]
    assert model_names(None, ["name DESC"]) == ["wine", "iris", "Iris-large"]


@pytest.mark.parametrize(
    "bad",
    ["creation_timestamp > 1", "name = 'a' OR name = 'b'", "tags.team IN ('cv')", "run_id = 'x'", "name = iris"],
)
def test_invalid_model_filters(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        registered_models_query(bad, [], 10, None)


def test_max_results_is_bounded() -> None:
    with pytest.raises(InvalidParameter):
        registered_models_query(None, [], 1001, None)
    with pytest.raises(InvalidParameter):
        model_versions_query(None, [], 200_001, None)


def test_version_default_order_is_last_updated_first() -> None:
    assert version_keys(None) == [("iris", 2), ("wine", 1), ("iris", 1)]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("name = 'iris'", [("iris", 2), ("iris", 1)]),
        ("version_number > 1", [("iris", 2)]),
        ("run_id IN ('r1', 'r3')", [("wine", 1), ("iris", 1)]),
        ("source_path LIKE 's3://b/wine/%'", [("wine", 1)]),
        ("tags.approved = 'yes'", [("iris", 2)]),
        ("name = 'iris' AND version_number <= 1", [("iris", 1)]),
    ],
)
def test_version_filters(filter_string: str, expected: list[tuple[str, int]]) -> None:
    assert version_keys(filter_string) == expected


def test_version_order_by_keys() -> None:
    assert version_keys(None, ["version_number ASC", "name DESC"]) == [("wine", 1), ("iris", 1), ("iris", 2)]
    with pytest.raises(InvalidParameter):
        model_versions_query(None, ["run_id"], 10, None)


def test_version_search_pages() -> None:
    first = model_versions_query(None, [], 2, None).run(VERSIONS)
    second = model_versions_query(None, [], 2, first.next_page_token).run(VERSIONS)
    assert [v.version for v in first.items + second.items] == [2, 1, 1] and second.next_page_token is None


def test_name_restriction_is_known_to_the_caller() -> None:
    assert model_versions_query("name = 'iris'", [], 10, None).names == {"iris"}
    assert model_versions_query("name IN ('a', 'b')", [], 10, None).names == {"a", "b"}
    assert model_versions_query("name LIKE 'a%'", [], 10, None).names is None
