"""Registry names, aliases, versions and stages (MLFLOW_WIRE §3)."""

from __future__ import annotations

import pytest

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.registry import validation
from trackway_backend.registry_domain import Stage


@pytest.mark.parametrize("name", ["iris", "Iris Classifier", "a.b-c_d", "ünïcode"])
def test_valid_model_names(name: str) -> None:
    assert validation.model_name(name) == name


@pytest.mark.parametrize("name", ["", "   ", "a/b", "a:b", ".", "..", "../x", "a/../b"])
def test_invalid_model_names(name: str) -> None:
    with pytest.raises(InvalidParameter):
        validation.model_name(name)


def test_missing_new_name_names_the_field() -> None:
    with pytest.raises(InvalidParameter, match="'new_name'"):
        validation.model_name(None, "new_name")


@pytest.mark.parametrize("alias", ["champion", "Challenger-2", "a_b", "v1x", "latest2"])
def test_assignable_aliases(alias: str) -> None:
    assert validation.assignable_alias(alias) == alias


@pytest.mark.parametrize("alias", ["latest", "Latest", "v1", "V42", "a b", "a/b", "a.b", "x" * 256, ""])
def test_unassignable_aliases(alias: str) -> None:
    with pytest.raises(InvalidParameter):
        validation.assignable_alias(alias)


def test_latest_is_readable_but_not_assignable() -> None:
    assert validation.alias("latest") == "latest"


@pytest.mark.parametrize(("raw", "expected"), [("1", 1), ("42", 42), (7, 7)])
def test_versions_are_integers(raw: str | int, expected: int) -> None:
    assert validation.version(raw) == expected


@pytest.mark.parametrize("raw", ["one", "1.5", "", "v1"])
def test_non_integer_versions(raw: str) -> None:
    with pytest.raises(InvalidParameter, match="must be an integer"):
        validation.version(raw)


@pytest.mark.parametrize(
    ("text", "stage"),
    [("none", Stage.NONE), ("STAGING", Stage.STAGING), ("Production", Stage.PRODUCTION), ("archived", Stage.ARCHIVED)],
)
def test_stages_are_case_insensitive(text: str, stage: Stage) -> None:
    assert Stage.parse(text) is stage


def test_registry_tags() -> None:
    assert validation.tags({"k": "v" * 100_000}) == {"k": "v" * 100_000}
    with pytest.raises(InvalidParameter):
        validation.tag("k", "v" * 100_001)
    with pytest.raises(InvalidParameter):
        validation.tag("bad key!", "v")


def test_names_fit_a_dynamodb_key() -> None:
    assert validation.model_name("m" * 256)
    with pytest.raises(InvalidParameter, match="at most 256"):
        validation.model_name("m" * 257)


def test_all_tags_of_an_entity_fit_one_item() -> None:
    with pytest.raises(InvalidParameter, match="fit"):
        validation.tags({f"k{n}": "v" * 100_000 for n in range(4)})
