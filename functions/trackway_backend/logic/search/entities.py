"""The grammars of search_runs, search_experiments and search_logged_models, with their accessors."""

from __future__ import annotations

from typing import Any

from trackway_backend.domain import Experiment, LoggedModel, Run
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search.cursor import Position, decode_cursor
from trackway_backend.logic.search.grammar import (
    DATASET_KEYS,
    NULL_COMPARATORS,
    NUMERIC_COMPARATORS,
    SET_COMPARATORS,
    STRING_COMPARATORS,
    Grammar,
    OrderKey,
)
from trackway_backend.logic.search.parser import parse_filter, parse_order_by
from trackway_backend.logic.search.query import MISSING, Query, check_max_results

MAX_RUNS_PER_PAGE = 50_000
MAX_EXPERIMENTS_PER_PAGE = 50_000
MAX_LOGGED_MODELS_PER_PAGE = 1_000

_TAGGED = STRING_COMPARATORS | NULL_COMPARATORS

RUNS = Grammar(
    entities={
        **dict.fromkeys(("metric", "metrics"), "metric"),
        **dict.fromkeys(("param", "params", "parameter", "parameters"), "param"),
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("attribute", "attributes", "attr", "run"), "attribute"),
        **dict.fromkeys(("dataset", "datasets"), "dataset"),
    },
    comparators={
        "metric": NUMERIC_COMPARATORS,
        "param": _TAGGED,
        "tag": _TAGGED,
        "dataset": STRING_COMPARATORS | SET_COMPARATORS,
        "numeric_attribute": NUMERIC_COMPARATORS,
        "string_attribute": STRING_COMPARATORS | SET_COMPARATORS,
    },
    numeric_attributes=frozenset({"start_time", "end_time"}),
    string_attributes=frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage"}),
    attribute_aliases={"created": "start_time", "run name": "run_name", "Run name": "run_name"},
    set_attributes=frozenset({"run_id"}),
)

EXPERIMENTS = Grammar(
    entities={
        **dict.fromkeys(("attribute", "attributes", "attr"), "attribute"),
        **dict.fromkeys(("tag", "tags"), "tag"),
    },
    comparators={
        "tag": _TAGGED,
        "numeric_attribute": NUMERIC_COMPARATORS,
        "string_attribute": STRING_COMPARATORS | SET_COMPARATORS,
    },
    numeric_attributes=frozenset({"creation_time", "last_update_time"}),
    string_attributes=frozenset({"name", "experiment_id"}),
    set_attributes=frozenset({"experiment_id"}),
)

LOGGED_MODELS = Grammar(
    entities={
        **dict.fromkeys(("attribute", "attributes", "attr"), "attribute"),
        **dict.fromkeys(("tag", "tags"), "tag"),
        **dict.fromkeys(("param", "params"), "param"),
        **dict.fromkeys(("metric", "metrics"), "metric"),
    },
    comparators={
        "tag": _TAGGED,
        "param": _TAGGED,
        "metric": NUMERIC_COMPARATORS,
        "numeric_attribute": NUMERIC_COMPARATORS,
        "string_attribute": STRING_COMPARATORS | SET_COMPARATORS,
    },
    numeric_attributes=frozenset({"creation_timestamp", "last_updated_timestamp"}),
    string_attributes=frozenset({"name", "model_id", "model_type", "status", "source_run_id"}),
    attribute_aliases={"creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"},
    set_attributes=frozenset({"model_id", "name", "source_run_id"}),
)


def _run_value(run: Run, entity: str, key: str) -> Any:
    if entity == "metric":
        metric = run.metrics.get(key)
        return MISSING if metric is None else metric.value
    if entity == "param":
        return run.params.get(key, MISSING)
    if entity == "tag":
        return run.tags.get(key, MISSING)
    if entity == "dataset":
        at = DATASET_KEYS.index(key)
        return [dataset[at] for dataset in run.dataset_keys] or MISSING
    value = getattr(run, key)
    return value.value if hasattr(value, "value") else value


def _experiment_value(experiment: Experiment, entity: str, key: str) -> Any:
    if entity == "tag":
        return experiment.tags.get(key, MISSING)
    value = getattr(experiment, key)
    return value.value if hasattr(value, "value") else value


def _experiment_order(experiment: Experiment, entity: str, key: str) -> Any:
    if entity == "attribute" and key == "experiment_id":
        return experiment.experiment_id.zfill(64)  # numeric ids order numerically
    return _experiment_value(experiment, entity, key)


def _logged_model_value(model: LoggedModel, entity: str, key: str) -> Any:
    if entity == "tag":
        return model.tags.get(key, MISSING)
    if entity == "param":
        return model.params.get(key, MISSING)
    if entity == "metric":
        return MISSING
    value = getattr(model, key)
    return value.value if hasattr(value, "value") else value


def runs_query(filter_string: str | None, order_by: list[str], max_results: int, token: str | None) -> Query[Run]:
    order = parse_order_by(order_by, RUNS)
    order += [OrderKey("attribute", "start_time", False), OrderKey("attribute", "run_id", True)]
    return Query(
        parse_filter(filter_string, RUNS),
        order,
        check_max_results(max_results, MAX_RUNS_PER_PAGE),
        decode_cursor(token, order),
        _run_value,
    )


def start_cursor(order: list[OrderKey], position: Position | None) -> tuple[int, str | None] | None:
    """Where a page of runs ordered by start_time first starts: after this start_time and, when run_id
    alone breaks its ties, after this run_id among them. None for the first page."""
    if position is None:
        return None
    start, run_id = position[0], position[-1]
    if not isinstance(start, int) or isinstance(start, bool) or not isinstance(run_id, str):
        raise InvalidParameter("Invalid page token: its position does not fit this search's order")
    tie_break = next(key for key in order if not (key.entity == "attribute" and key.key == "start_time"))
    run_id_ascending_breaks_ties = tie_break == OrderKey("attribute", "run_id", True)
    return start, run_id if run_id_ascending_breaks_ties else None


def experiments_query(
    filter_string: str | None, order_by: list[str], max_results: int, token: str | None
) -> Query[Experiment]:
    order = parse_order_by(order_by, EXPERIMENTS)
    order += [OrderKey("attribute", "creation_time", False), OrderKey("attribute", "experiment_id", True)]
    return Query(
        parse_filter(filter_string, EXPERIMENTS),
        order,
        check_max_results(max_results, MAX_EXPERIMENTS_PER_PAGE),
        decode_cursor(token, order),
        _experiment_value,
        _experiment_order,
    )


def logged_models_query(
    filter_string: str | None, order_by: list[OrderKey], max_results: int, token: str | None
) -> Query[LoggedModel]:
    order = [
        *order_by,
        OrderKey("attribute", "creation_timestamp", False),
        OrderKey("attribute", "model_id", True),
    ]
    return Query(
        parse_filter(filter_string, LOGGED_MODELS),
        order,
        check_max_results(max_results, MAX_LOGGED_MODELS_PER_PAGE),
        decode_cursor(token, order),
        _logged_model_value,
    )
