"""The grammars of search_registered_models and search_model_versions, with their accessors.

Filters and order_by accept different attributes (MLflow's `VALID_SEARCH_ATTRIBUTE_KEYS` and
`VALID_ORDER_BY_KEYS…`), so each search has a filter grammar and an order grammar.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from trackway_backend.domain import Page
from trackway_backend.logic.search.cursor import decode_cursor
from trackway_backend.logic.search.grammar import (
    NUMERIC_COMPARATORS,
    SET_COMPARATORS,
    STRING_COMPARATORS,
    Clause,
    Grammar,
    OrderKey,
)
from trackway_backend.logic.search.parser import parse_filter, parse_order_by
from trackway_backend.logic.search.query import MISSING, Accessor, Query, check_max_results
from trackway_backend.registry_domain import ModelVersion, RegisteredModel

T = TypeVar("T")
MAX_REGISTERED_MODELS_PER_PAGE = 1_000
MAX_MODEL_VERSIONS_PER_PAGE = 200_000
IS_PROMPT_TAG = "mlflow.prompt.is_prompt"

_ENTITIES = {
    **dict.fromkeys(("attribute", "attributes", "attr"), "attribute"),
    **dict.fromkeys(("tag", "tags"), "tag"),
}
_COMPARATORS = {
    "tag": STRING_COMPARATORS,
    "numeric_attribute": NUMERIC_COMPARATORS,
    "string_attribute": STRING_COMPARATORS | SET_COMPARATORS,
}
_TIMESTAMPS = frozenset({"creation_timestamp", "last_updated_timestamp"})

REGISTERED_MODELS = Grammar(
    _ENTITIES, _COMPARATORS, string_attributes=frozenset({"name"}), set_attributes=frozenset({"name"})
)
REGISTERED_MODELS_ORDER = Grammar(
    _ENTITIES,
    _COMPARATORS,
    numeric_attributes=_TIMESTAMPS,
    string_attributes=frozenset({"name"}),
    attribute_aliases={"timestamp": "last_updated_timestamp"},
)
MODEL_VERSIONS = Grammar(
    _ENTITIES,
    _COMPARATORS,
    numeric_attributes=frozenset({"version_number"}),
    string_attributes=frozenset({"name", "run_id", "source_path"}),
    set_attributes=frozenset({"name", "run_id"}),
)
MODEL_VERSIONS_ORDER = Grammar(
    _ENTITIES,
    _COMPARATORS,
    numeric_attributes=_TIMESTAMPS | {"version_number"},
    string_attributes=frozenset({"name"}),
)
DEFAULT_VERSION_ORDER = ["last_updated_timestamp DESC", "name ASC", "version_number DESC"]


def _model_value(model: RegisteredModel, entity: str, key: str) -> Any:
    if entity == "tag":
        return model.tags.get(key, MISSING)
    return getattr(model, key)


def _version_value(version: ModelVersion, entity: str, key: str) -> Any:
    if entity == "tag":
        return version.tags.get(key, MISSING)
    if key == "version_number":
        return version.version
    if key == "source_path":
        return version.source
    return getattr(version, key)


def querying_prompts(clauses: list[Clause]) -> bool:
    """MLflow returns prompts only when asked for them with `tags.mlflow.prompt.is_prompt = 'true'` (or
    `!= 'false'`); otherwise it drops clauses on that tag and excludes prompts, so untagged models match
    the `!= 'true'` the client appends to every search."""
    for clause in clauses:
        if clause.entity == "tag" and clause.key == IS_PROMPT_TAG:
            value = str(clause.value).lower()
            return (clause.comparator == "=" and value == "true") or (clause.comparator == "!=" and value == "false")
    return False


def without_prompt_clauses(clauses: list[Clause]) -> list[Clause]:
    return [clause for clause in clauses if not (clause.entity == "tag" and clause.key == IS_PROMPT_TAG)]


def is_prompt(tags: dict[str, str]) -> bool:
    return tags.get(IS_PROMPT_TAG) == "true"


def _with_tie_breaks(order: list[OrderKey], *defaults: OrderKey) -> list[OrderKey]:
    present = {key.key for key in order}
    return order + [key for key in defaults if key.key not in present]


@dataclass
class RegistrySearch(Generic[T]):
    """A parsed registry search. Prompts (models tagged `mlflow.prompt.is_prompt = 'true'`) are hidden
    unless the filter asks for them."""

    query: Query[T]
    hide_prompts: bool
    names: set[str] | None  # the model names the filter restricts the search to, if it does
    tags_of: Callable[[T], dict[str, str]]

    def run(self, candidates: Iterable[T]) -> Page[T]:
        if self.hide_prompts:
            candidates = (item for item in candidates if not is_prompt(self.tags_of(item)))
        return self.query.run(candidates)


def _search(
    clauses: list[Clause],
    order: list[OrderKey],
    max_results: int,
    token: str | None,
    access: Accessor[T],
    tags_of: Callable[[T], dict[str, str]],
) -> RegistrySearch[T]:
    prompts = querying_prompts(clauses)
    if not prompts:
        clauses = without_prompt_clauses(clauses)
    query = Query(clauses, order, max_results, decode_cursor(token, order), access)
    return RegistrySearch(query, not prompts, names_in(clauses), tags_of)


def registered_models_query(
    filter_string: str | None, order_by: list[str], max_results: int, token: str | None
) -> RegistrySearch[RegisteredModel]:
    clauses = parse_filter(filter_string, REGISTERED_MODELS)
    order = _with_tie_breaks(parse_order_by(order_by, REGISTERED_MODELS_ORDER), OrderKey("attribute", "name"))
    limit = check_max_results(max_results, MAX_REGISTERED_MODELS_PER_PAGE)
    return _search(clauses, order, limit, token, _model_value, lambda model: model.tags)


def model_versions_query(
    filter_string: str | None, order_by: list[str], max_results: int, token: str | None
) -> RegistrySearch[ModelVersion]:
    clauses = parse_filter(filter_string, MODEL_VERSIONS)
    order = _with_tie_breaks(
        parse_order_by(order_by or DEFAULT_VERSION_ORDER, MODEL_VERSIONS_ORDER),
        OrderKey("attribute", "name"),
        OrderKey("attribute", "version_number", ascending=False),
    )
    limit = check_max_results(max_results, MAX_MODEL_VERSIONS_PER_PAGE)
    return _search(clauses, order, limit, token, _version_value, lambda version: version.tags)


def names_in(clauses: list[Clause]) -> set[str] | None:
    """The model names a filter is restricted to (`name = 'x'`, `name IN (…)`), or None."""
    for clause in clauses:
        if clause.entity == "attribute" and clause.key == "name":
            if clause.comparator == "=":
                return {clause.value}
            if clause.comparator == "IN":
                return set(clause.value)
    return None
