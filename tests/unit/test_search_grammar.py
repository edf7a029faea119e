from __future__ import annotations

import pytest

from trackway_backend.domain import Metric, Run, RunStatus
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.search import runs_query
from trackway_backend.logic.search.cursor import encode_cursor
from trackway_backend.logic.search.entities import RUNS
from trackway_backend.logic.search.grammar import OrderKey
from trackway_backend.logic.search.parser import parse_filter, parse_order_by


def make_run(run_id: str, start: int, metrics: dict[str, float], params: dict[str, str], tags=None) -> Run:
    return Run(
        run_id=run_id,
        experiment_id="1",
        run_name=f"name-{run_id}",
        user_id="ana",
        status=RunStatus.FINISHED,
        start_time=start,
        end_time=None,
        artifact_uri="mlflow-artifacts:/1",
        params=params,
        tags=tags or {},
        metrics={key: Metric(key, value, 0) for key, value in metrics.items()},
    )


RUNS_FIXTURE = [
    make_run("a", 1, {"acc": 0.95, "f1": 0.90}, {"n": "100", "model": "rf"}, {"team": "vision"}),
    make_run("b", 2, {"acc": 0.80, "f1": 0.70}, {"n": "100", "model": "gbm"}),
    make_run("c", 3, {"acc": 0.99}, {"n": "200", "model": "RF-large"}, {"team": "nlp"}),
    make_run("d", 4, {"f1": 0.5}, {}),
]


def ids(filter_string: str | None, order_by: list[str] | None = None) -> list[str]:
    page = runs_query(filter_string, order_by or [], 100, None).run(RUNS_FIXTURE)
    return [run.run_id for run in page.items]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("metrics.acc > 0.9", ["c", "a"]),
        ("metrics.acc > 0.9 AND params.n = '100'", ["a"]),
        ("metric.acc >= 0.8 and param.n != '200'", ["b", "a"]),
        ("params.model LIKE 'r%'", ["a"]),
        ("params.model ILIKE 'r%'", ["c", "a"]),
        ("params.model LIKE '_bm'", ["b"]),
        ("tags.team IS NULL", ["d", "b"]),
        ("tags.team IS NOT NULL", ["c", "a"]),
        ("attributes.run_id IN ('a', 'd')", ["d", "a"]),
        ("run_id NOT IN ('a')", ["d", "c", "b"]),
        ("attributes.start_time >= 3", ["d", "c"]),
        ("`run name` = 'name-b'", ["b"]),
        ('tags."team" = "nlp"', ["c"]),
        ("tags.`team` = 'vision'", ["a"]),
        ("metrics.missing < 1", []),
        ("", ["d", "c", "b", "a"]),
    ],
)
def test_filters_select_the_runs_mlflow_would(filter_string: str, expected: list[str]) -> None:
    assert ids(filter_string) == expected


def test_order_by_several_keys_puts_missing_values_last() -> None:
    assert ids(None, ["metrics.acc DESC"]) == ["c", "a", "b", "d"]
    assert ids(None, ["metrics.acc ASC"]) == ["b", "a", "c", "d"]
    assert ids(None, ["params.n ASC", "metrics.f1 DESC"]) == ["a", "b", "c", "d"]


@pytest.mark.parametrize(
    "bad",
    [
        "metrics.acc > 0.9 OR params.n = '1'",
        "metrics.acc > 'high'",
        "params.n = 100",
        "params.n > '1'",
        "attributes.status IN ('RUNNING')",
        "foo.bar = '1'",
        "attributes.nope = '1'",
        "metrics.acc >",
        "metrics.acc ~ 3",
    ],
)
def test_invalid_filters_are_rejected_with_invalid_parameter(bad: str) -> None:
    with pytest.raises(InvalidParameter):
        parse_filter(bad, RUNS)


def test_order_by_accepts_quoted_keys_and_rejects_unknown_entities() -> None:
    keys = parse_order_by(["metrics.`val loss` DESC", "attributes.start_time"], RUNS)
    assert [(k.entity, k.key, k.ascending) for k in keys] == [
        ("metric", "val loss", False),
        ("attribute", "start_time", True),
    ]
    with pytest.raises(InvalidParameter):
        parse_order_by(["bogus.x"], RUNS)


def test_page_tokens_walk_every_run_exactly_once() -> None:
    seen: list[str] = []
    token = None
    while True:
        page = runs_query(None, ["metrics.acc DESC"], 3, token).run(RUNS_FIXTURE)
        seen += [run.run_id for run in page.items]
        if not (token := page.next_page_token):
            break
    assert sorted(seen) == ["a", "b", "c", "d"]
    assert len(seen) == 4


def walk(runs: list[Run], order_by: list[str], page_size: int) -> list[str]:
    seen: list[str] = []
    token = None
    while True:
        page = runs_query(None, order_by, page_size, token).run(runs)
        seen += [run.run_id for run in page.items]
        if not (token := page.next_page_token):
            return seen


@pytest.mark.parametrize("order_by", [[], ["metrics.acc DESC"], ["params.n ASC", "metrics.f1 DESC"], ["tags.team"]])
@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 5])
def test_cursor_pages_give_the_order_of_one_big_page(order_by: list[str], page_size: int) -> None:
    everything = [run.run_id for run in runs_query(None, order_by, 100, None).run(RUNS_FIXTURE).items]
    assert walk(RUNS_FIXTURE, order_by, page_size) == everything


def test_a_cursor_is_a_position_not_an_offset() -> None:
    """Runs that appear before the cursor while paging do not shift the next page: nothing is repeated."""
    first = runs_query(None, ["metrics.acc DESC"], 2, None).run(RUNS_FIXTURE)
    assert [run.run_id for run in first.items] == ["c", "a"]
    newcomer = make_run("z", 9, {"acc": 1.0}, {})
    second = runs_query(None, ["metrics.acc DESC"], 2, first.next_page_token).run([newcomer, *RUNS_FIXTURE])
    assert [run.run_id for run in second.items] == ["b", "d"]
    assert second.next_page_token is None


def test_nan_and_missing_values_page_in_mlflow_order() -> None:
    runs = [make_run(str(i), i, {"m": value}, {}) for i, value in enumerate([0.5, float("nan"), 2.0, 1.0])]
    runs.append(make_run("none", 9, {}, {}))
    assert walk(runs, ["metrics.m ASC"], 1) == ["0", "3", "2", "1", "none"]
    assert walk(runs, ["metrics.m DESC"], 2) == ["1", "2", "3", "0", "none"]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token!",
        "eyJvZmZzZXQiOiAxMH0",  # an offset token of the old format: {"offset": 10}
        encode_cursor([OrderKey("metric", "acc", False)], [0.5, 1, "a"]),  # another order_by
        encode_cursor(runs_query(None, [], 1, None).order, ["x", 1]),  # a string where the order has a number
    ],
)
def test_a_garbled_or_foreign_token_is_invalid_parameter(token: str) -> None:
    with pytest.raises(InvalidParameter):
        runs_query(None, [], 2, token).run(RUNS_FIXTURE)


def test_max_results_is_bounded() -> None:
    with pytest.raises(InvalidParameter):
        runs_query(None, [], 50_001, None)
    with pytest.raises(InvalidParameter):
        runs_query(None, [], 0, None)


def test_datasets_filters_read_the_summary_dataset_keys() -> None:
    trained = make_run("t", 1, {}, {})
    trained.dataset_keys = [("iris", "d1", "training"), ("wine", "d2", None)]
    other = make_run("o", 2, {}, {})
    other.dataset_keys = [("wine", "d2", "eval")]
    bare = make_run("b", 3, {}, {})

    def found(filter_string: str) -> list[str]:
        return [run.run_id for run in runs_query(filter_string, [], 10, None).run([trained, other, bare]).items]

    assert found("datasets.name = 'wine'") == ["o", "t"]
    assert found("datasets.context = 'training'") == ["t"]
    assert found("datasets.context IN ('eval', 'x')") == ["o"]
    assert found("datasets.digest LIKE 'd%'") == ["o", "t"]
    assert found("datasets.name != 'iris'") == ["o", "t"]  # any input that differs, as MLflow's join
    with pytest.raises(InvalidParameter):
        found("datasets.source = 'x'")
