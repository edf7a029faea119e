"""Run summaries kept between searches (docs/adr/015-summary-cache.md), on moto with the stale double: two
store objects stand for two function environments, each with its own kept summaries; every write done
through one is seen by the next search through the other."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.stale_dynamo import StaleReads, stale_reads
from trackway_backend.adapters.dynamo import run_summaries
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Dataset, DatasetInput, LifecycleStage, Metric, ViewType
from trackway_backend.logic import experiments, runs

ROOT = "mlflow-artifacts:/"
SHARDS = 8


@pytest.fixture
def stores(call: Any) -> tuple[DynamoTrackingStore, DynamoTrackingStore]:
    return DynamoTrackingStore(run_index_shards=SHARDS), DynamoTrackingStore(run_index_shards=SHARDS)


@pytest.fixture
def stale(stores: Any) -> Iterator[StaleReads]:
    with stale_reads() as double:
        yield double


def seed(store: DynamoTrackingStore, count: int, name: str = "cached") -> tuple[str, list[str]]:
    experiment_id = experiments.create(store, name, ROOT, None, {})
    ids = []
    for index in range(count):
        run = runs.create(store, experiment_id, "ana", f"r{index}", None, {})
        runs.log_batch(store, run.run_id, [Metric("m", float(index), 1, 0)], {"p": str(index % 2)}, {})
        ids.append(run.run_id)
    return experiment_id, ids


def top(store: DynamoTrackingStore, experiment_id: str, filter_string: str | None = None, size: int = 5) -> list[str]:
    page = runs.search(store, [experiment_id], filter_string, ViewType.ACTIVE_ONLY, size, ["metrics.m DESC"], None)
    return [run.run_id for run in page.items]


def searched_requests(store: DynamoTrackingStore, experiment_id: str) -> int:
    before = store.requests
    top(store, experiment_id)
    return store.requests - before


@pytest.fixture
def index_caught_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every listing counts as begun after the index caught up with the marks it read."""
    monkeypatch.setattr(run_summaries, "INDEX_LAG_MS", -1)


def test_a_search_of_unchanged_shards_reads_only_their_marks(stores: Any, index_caught_up: None) -> None:
    reader, writer = stores
    experiment_id, _ = seed(writer, 12)
    first = searched_requests(reader, experiment_id)
    assert first > 1 + SHARDS  # marks, one index query per shard, the summaries
    assert searched_requests(reader, experiment_id) == 1  # one BatchGetItem of the shards' marks


def test_a_write_through_another_environment_is_seen_by_the_next_search(stores: Any, stale: StaleReads) -> None:
    reader, writer = stores
    experiment_id, ids = seed(writer, 12)
    assert top(reader, experiment_id)[0] == ids[-1]
    runs.log_batch(writer, ids[3], [Metric("m", 100.0, 2, 1)], {}, {})
    assert top(reader, experiment_id)[0] == ids[3]
    runs.set_tag(writer, ids[4], "note", "x")
    assert top(reader, experiment_id, "tags.note = 'x'") == [ids[4]]
    runs.delete_tag(writer, ids[4], "note")
    assert top(reader, experiment_id, "tags.note = 'x'") == []
    runs.set_lifecycle(writer, ids[3], LifecycleStage.DELETED)
    assert ids[3] not in top(reader, experiment_id, size=20)
    assert stale.stale_served > 0  # the index queries were served stale


def test_without_its_mark_a_write_stays_hidden_from_kept_summaries(
    stores: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the marks are for: the same write, unmarked, is not seen by a search that kept the shard."""
    reader, writer = stores
    experiment_id, ids = seed(writer, 6)
    assert top(reader, experiment_id)[0] == ids[-1]
    monkeypatch.setattr(DynamoTrackingStore, "mark_changed", lambda self, run: None)
    runs.set_tag(writer, ids[0], "note", "x")
    assert top(reader, experiment_id, "tags.note = 'x'") == []


def names(store: DynamoTrackingStore, experiment_id: str) -> list[str]:
    page = runs.search(store, [experiment_id], None, ViewType.ALL, 50, ["attributes.run_name ASC"], None)
    return [run.run_name for run in page.items]


def test_a_run_the_index_shows_late_is_found_by_a_later_search(stores: Any) -> None:
    """A shard changed within the index's propagation bound is listed again by each search, even with its
    mark unchanged, so a run created while the index lagged is found once the index holds it."""
    reader, writer = stores
    experiment_id, _ = seed(writer, 4)
    assert names(reader, experiment_id) == ["r0", "r1", "r2", "r3"]
    with stale_reads() as stale:  # the index does not hold the new run yet
        runs.create(writer, experiment_id, "ana", "late", None, {})
        assert names(reader, experiment_id) == ["r0", "r1", "r2", "r3"]
        assert stale.stale_served > 0
    assert names(reader, experiment_id) == ["late", "r0", "r1", "r2", "r3"]


def test_a_settled_shard_is_not_listed_again(stores: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    reader, writer = stores
    experiment_id, _ = seed(writer, 4)
    top(reader, experiment_id)
    runs.create(writer, experiment_id, "ana", "new", None, {})
    assert searched_requests(reader, experiment_id) > 1  # the changed shard is listed and read
    assert searched_requests(reader, experiment_id) > 1  # and listed again while it may still lag
    monkeypatch.setattr(run_summaries, "INDEX_LAG_MS", -1)
    assert searched_requests(reader, experiment_id) > 1  # listed once more: now settled
    assert searched_requests(reader, experiment_id) == 1


def test_kept_summaries_are_bounded_and_searches_stay_right(call: Any) -> None:
    store = DynamoTrackingStore(run_index_shards=SHARDS, summary_cache_runs=5)
    experiment_id, ids = seed(store, 20)
    expected = list(reversed(ids))[:5]
    assert top(store, experiment_id) == expected
    assert store.summaries.kept_runs <= 5
    assert top(store, experiment_id) == expected


def test_summaries_too_old_are_read_again(stores: Any, index_caught_up: None) -> None:
    reader, writer = stores
    experiment_id, _ = seed(writer, 4)
    top(reader, experiment_id)
    assert searched_requests(reader, experiment_id) == 1
    reader.summaries.max_age_seconds = 0.0
    assert searched_requests(reader, experiment_id) > 1


def test_concurrent_writers_and_a_polling_search_agree_with_the_runs(stores: Any) -> None:
    """4 writer threads log to 8 runs while a reader searches in a loop; when the writers are done, the
    reader's next search shows every run's latest value and tag."""
    reader, writer = stores
    experiment_id, ids = seed(writer, 8)
    latest: dict[str, float] = {}
    latest_step: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Event()

    def write(worker: int) -> None:
        rng = random.Random(worker)
        for step in range(1, 16):
            run_id = ids[rng.randrange(len(ids))]
            value = rng.random() * 1000
            runs.log_batch(writer, run_id, [Metric("m", value, 10, worker * 100 + step)], {}, {f"w{worker}": "1"})
            with lock:
                if run_id not in latest or worker * 100 + step > latest_step[run_id]:
                    latest[run_id], latest_step[run_id] = value, worker * 100 + step

    polls = 0

    def poll() -> None:
        nonlocal polls
        while not done.is_set():
            top(reader, experiment_id)
            polls += 1

    poller = threading.Thread(target=poll)
    poller.start()
    writers = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    poller.join()
    assert polls > 0
    page = runs.search(reader, [experiment_id], None, ViewType.ACTIVE_ONLY, 50, [], None)
    seen = {run.run_id: run for run in page.items}
    for run_id, value in latest.items():
        assert seen[run_id].metrics["m"].value == value
    truth = {run_id: runs.get(writer, run_id).tags for run_id in ids}
    assert {run_id: seen[run_id].tags for run_id in ids} == truth


def test_search_rows_carry_their_dataset_inputs_and_kept_summaries_stay_as_read(stores: Any) -> None:
    reader, writer = stores
    experiment_id, ids = seed(writer, 3)
    iris = Dataset("iris", "d1", "local", '{"uri": "/data/iris"}', schema='{"x": "long"}', profile="{}")
    runs.log_inputs(writer, ids[0], [DatasetInput(iris, {"mlflow.data.context": "training"})], [])
    runs.log_inputs(writer, ids[0], [DatasetInput(iris, {"mlflow.data.context": "eval"})], [])
    for _ in range(2):  # the second search uses the kept summaries
        page = runs.search(reader, [experiment_id], "datasets.name = 'iris'", ViewType.ALL, 10, ["metrics.m"], None)
        (row,) = page.items
        assert sorted((entry.dataset, entry.tags["mlflow.data.context"]) for entry in row.inputs) == [
            (iris, "eval"),
            (iris, "training"),
        ]
    assert all(not run.inputs for run in reader.list_runs([experiment_id]))


@pytest.mark.parametrize("order_by", [[], ["attributes.start_time ASC"], ["start_time DESC", "params.p ASC"]])
def test_start_time_pages_from_kept_summaries_match_the_index(
    stores: Any, index_caught_up: None, order_by: list[str]
) -> None:
    """Once every shard is kept and current, start_time-ordered pages come from memory: the same pages,
    tokens included, as the index gives, with ties of start_time split across pages."""
    reader, writer = stores
    experiment_id = experiments.create(writer, "ties", ROOT, None, {})
    for index in range(23):
        run = runs.create(writer, experiment_id, "ana", f"r{index}", 1_000 + index // 4, {})
        runs.log_batch(writer, run.run_id, [], {"p": str(index % 3)}, {})

    def pages(store: DynamoTrackingStore) -> list[tuple[list[str], str | None]]:
        seen, token = [], None
        while True:
            page = runs.search(store, [experiment_id], "params.p != '2'", ViewType.ALL, 3, order_by, token)
            seen.append(([run.run_id for run in page.items], page.next_page_token))
            if not (token := page.next_page_token):
                return seen

    through_the_index = pages(reader)
    names(reader, experiment_id)  # a search in another order keeps every shard
    before = reader.requests
    assert pages(reader) == through_the_index
    assert reader.requests - before == len(through_the_index)  # one mark read a page
    assert sum(len(ids) for ids, _ in through_the_index) == len([i for i in range(23) if i % 3 != 2])
