"""Cursor page tokens of search_runs and search_experiments on moto: every run once, what a page costs,
and runs created, updated or deleted while a client pages."""

from __future__ import annotations

from typing import Any

import pytest

from trackway_backend.adapters.dynamo import batch
from trackway_backend.adapters.dynamo.tracking_items import RunItem
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import LifecycleStage, Metric, Page, Run, ViewType
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic import experiments, runs

ROOT = "mlflow-artifacts:/"
T0 = 1_700_000_000_000


@pytest.fixture
def store(call: Any) -> DynamoTrackingStore:
    return DynamoTrackingStore(run_index_shards=8)


def seed(
    store: DynamoTrackingStore, count: int, name: str = "paging", same_start: bool = False
) -> tuple[str, list[str]]:
    experiment_id = experiments.create(store, name, ROOT, None, {})
    ids = []
    for index in range(count):
        start = T0 if same_start else T0 + index
        run = runs.create(store, experiment_id, "ana", f"r{index}", start, {})
        runs.log_batch(store, run.run_id, [Metric("m", float(index % 7), T0, 0)], {"p": str(index % 3)}, {})
        ids.append(run.run_id)
    return experiment_id, ids


def page_of(
    store: DynamoTrackingStore,
    experiment_id: str,
    size: int,
    token: str | None,
    order_by: list[str] | None = None,
    filter_string: str | None = None,
) -> Page[Run]:
    return runs.search(store, [experiment_id], filter_string, ViewType.ACTIVE_ONLY, size, order_by or [], token)


def walk(store: DynamoTrackingStore, experiment_id: str, size: int, **options: Any) -> list[str]:
    seen: list[str] = []
    token = None
    while True:
        page = page_of(store, experiment_id, size, token, **options)
        seen += [run.run_id for run in page.items]
        if not (token := page.next_page_token):
            return seen


@pytest.mark.parametrize(
    "order_by",
    [[], ["attributes.start_time ASC"], ["start_time DESC", "run_id DESC"], ["metrics.m DESC"], ["params.p"]],
)
def test_paging_returns_the_order_of_one_big_page(store: DynamoTrackingStore, order_by: list[str]) -> None:
    experiment_id, ids = seed(store, 23)
    everything = [run.run_id for run in page_of(store, experiment_id, 100, None, order_by).items]
    assert sorted(everything) == sorted(ids)
    assert walk(store, experiment_id, 4, order_by=order_by) == everything


def test_the_default_order_is_newest_first_then_run_id(store: DynamoTrackingStore) -> None:
    experiment_id, ids = seed(store, 9)
    assert walk(store, experiment_id, 2) == list(reversed(ids))
    tied_experiment, tied = seed(store, 9, "tied", same_start=True)
    assert walk(store, tied_experiment, 2) == sorted(tied)  # one start_time: ties broken by run_id
    assert walk(store, tied_experiment, 2, order_by=["start_time", "run_id DESC"]) == sorted(tied, reverse=True)


@pytest.fixture
def summaries_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many run summaries the store reads with BatchGetItem, summed."""
    read = [0]
    real = batch.get_all

    def counted(model: Any, keys: Any, policy: Any) -> Any:
        if model is RunItem:  # not the shards' change marks (docs/adr/015-summary-cache.md)
            read[0] += len(keys)
        return real(model, keys, policy)

    monkeypatch.setattr(batch, "get_all", counted)
    return read


def test_a_filtered_page_in_start_order_reads_about_its_own_rows(
    store: DynamoTrackingStore, summaries_read: list[int]
) -> None:
    experiment_id, ids = seed(store, 60)
    summaries_read[0] = 0
    page = page_of(store, experiment_id, 5, None, filter_string="params.p = '0'")
    assert [run.run_id for run in page.items] == [ids[i] for i in (57, 54, 51, 48, 45)]
    assert summaries_read[0] <= 3 * 6  # one run in 3 matches; chunks of 6 then 12 summaries


def test_paging_in_start_order_reads_each_run_about_once(store: DynamoTrackingStore, summaries_read: list[int]) -> None:
    experiment_id, _ = seed(store, 60)
    summaries_read[0] = 0
    assert len(walk(store, experiment_id, 6)) == 60
    assert summaries_read[0] <= 10 * 7  # each of the 10 pages reads its 6 rows and the first of the next


def test_runs_created_updated_and_deleted_while_paging(store: DynamoTrackingStore) -> None:
    """The guarantees of docs/adr/011-search.md: no run is returned twice, and every run that existed
    throughout and still matches is returned, in the order of the page it was returned on."""
    experiment_id, ids = seed(store, 20)
    first = page_of(store, experiment_id, 5, None)
    assert [run.run_id for run in first.items] == list(reversed(ids))[:5]
    newer = runs.create(store, experiment_id, "ana", "newer", T0 + 1_000, {}).run_id  # sorts before the cursor
    older = runs.create(store, experiment_id, "ana", "older", T0 - 1, {}).run_id  # sorts after it: returned
    runs.set_lifecycle(store, ids[10], LifecycleStage.DELETED)
    runs.log_batch(store, ids[3], [Metric("m", 99.0, T0, 1)], {}, {})
    rest: list[str] = []
    token = first.next_page_token
    while token:
        page = page_of(store, experiment_id, 5, token)
        rest += [run.run_id for run in page.items]
        token = page.next_page_token
    seen = [run.run_id for run in first.items] + rest
    assert len(seen) == len(set(seen))
    assert newer not in seen and older in seen and ids[10] not in seen
    assert set(ids) - {ids[10]} <= set(seen)


def test_runs_reordered_by_an_update_while_paging_are_not_returned_twice(store: DynamoTrackingStore) -> None:
    experiment_id, ids = seed(store, 12)
    first = page_of(store, experiment_id, 4, None, ["metrics.m DESC"])
    moved = first.items[0].run_id
    runs.log_batch(store, moved, [Metric("m", -1.0, T0 + 1, 1)], {}, {})  # now sorts last
    seen = [run.run_id for run in first.items]
    token = first.next_page_token
    while token:
        page = page_of(store, experiment_id, 4, token, ["metrics.m DESC"])
        seen += [run.run_id for run in page.items]
        token = page.next_page_token
    assert sorted(set(seen)) == sorted(ids)
    assert seen.count(moved) == 2  # the one exception the ADR states: a row moved past the cursor


def test_search_experiments_pages_with_a_cursor(store: DynamoTrackingStore) -> None:
    created = [experiments.create(store, f"exp-{i:02d}", ROOT, None, {}) for i in range(11)]
    seen: list[str] = []
    token = None
    while True:
        page = experiments.search(store, ViewType.ACTIVE_ONLY, "name LIKE 'exp-%'", ["name ASC"], 3, token)
        seen += [e.experiment_id for e in page.items]
        if not (token := page.next_page_token):
            break
        if len(seen) == 3:
            experiments.create(store, "exp-00a", ROOT, None, {})  # sorts before the cursor: not returned
    assert seen == created
    with pytest.raises(InvalidParameter):
        experiments.search(store, ViewType.ACTIVE_ONLY, None, [], 3, token or "garbled")
    with pytest.raises(InvalidParameter):  # a token of one order_by does not fit another
        experiments.search(store, ViewType.ACTIVE_ONLY, None, ["name DESC"], 3, first_token(store))


def first_token(store: DynamoTrackingStore) -> str:
    token = experiments.search(store, ViewType.ACTIVE_ONLY, None, [], 1, None).next_page_token
    assert token is not None
    return token
