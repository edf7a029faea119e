from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from trackway_backend.adapters.dynamo import batch, history_chunks
from trackway_backend.adapters.dynamo.tracking_items import MetricChunkItem, SharedChunkItem
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.concurrency import RetryPolicy
from trackway_backend.domain import Metric
from trackway_backend.errors import Unavailable
from trackway_backend.logic import experiments, runs


@pytest.fixture
def store(call: Any) -> DynamoTrackingStore:
    return DynamoTrackingStore()


def a_run(store: DynamoTrackingStore) -> str:
    experiment_id = experiments.create(store, "e", "mlflow-artifacts:/", None, {})
    return runs.create(store, experiment_id, "ana", "r", None, {}).run_id


def points(keys: int, per_key: int) -> list[Metric]:
    return [Metric(f"k{k}", float(s), 1_700_000_000_000 + s, s) for k in range(keys) for s in range(per_key)]


@pytest.mark.parametrize(("keys", "per_key", "budget"), [(10, 100, 3), (500, 1, 5)])
def test_a_log_batch_costs_a_handful_of_requests(
    store: DynamoTrackingStore, keys: int, per_key: int, budget: int
) -> None:
    run_id = a_run(store)
    before = store.requests
    runs.log_batch(store, run_id, points(keys, per_key), {}, {})
    assert store.requests - before <= budget
    assert len(store.get_run(run_id).metrics) == keys


def test_history_pages_return_every_point_once(store: DynamoTrackingStore) -> None:
    run_id = a_run(store)
    for start in range(0, 2500, 1000):
        batch_points = [Metric("loss", float(s), 1, s) for s in range(start, min(start + 1000, 2500))]
        runs.log_batch(store, run_id, batch_points, {}, {})
    steps, token = [], None
    while True:
        page = store.history(run_id, "loss", token, 700)
        steps += [m.step for m in page.items]
        if not (token := page.next_page_token):
            break
    assert steps == list(range(2500))


def _all_pages(store: DynamoTrackingStore, run_id: str, key: str, page_size: int) -> list[Metric]:
    found: list[Metric] = []
    token = None
    while True:
        page = store.history(run_id, key, token, page_size)
        assert len(page.items) <= page_size
        found += page.items
        if not (token := page.next_page_token):
            return found


@pytest.mark.parametrize("page_size", [1, 3, 7, 1000])
def test_history_merges_own_and_shared_chunks_in_pages(store: DynamoTrackingStore, page_size: int) -> None:
    """Steps logged one at a time for 20 keys (shared items) interleaved with batches of 30 points of one of
    them (its own chunks): every page token resumes where the last page stopped, each point comes once."""
    run_id = a_run(store)
    expected = []
    for step in range(0, 90, 3):
        step_points = [Metric(f"k{k}", float(step), step, step) for k in range(20)]
        if step % 30 == 0:
            step_points += [Metric("k3", float(s), s, s) for s in range(step + 1000, step + 1030)]
        runs.log_batch(store, run_id, step_points, {}, {})
        expected += [(m.step, m.timestamp, m.value) for m in step_points if m.key == "k3"]
    found = _all_pages(store, run_id, "k3", page_size)
    assert sorted((m.step, m.timestamp, m.value) for m in found) == sorted(expected)
    assert len(found) == len(expected) == 120
    assert {m.key for m in found} == {"k3"}


def test_a_replayed_step_rewrites_the_same_shared_item(store: DynamoTrackingStore) -> None:
    run_id = a_run(store)
    step = [Metric(f"k{k}", 0.5, 7, 1) for k in range(50)]
    for attempt in range(3):
        store.append_history(run_id, list(reversed(step)) if attempt % 2 else step)
    assert len(list(SharedChunkItem.query(f"HIST#{run_id}"))) == 1
    assert [(m.step, m.value) for m in _all_pages(store, run_id, "k49", 10)] == [(1, 0.5)]


def test_a_page_token_from_before_shared_chunks_still_reads(store: DynamoTrackingStore) -> None:
    run_id = a_run(store)
    runs.log_batch(store, run_id, [Metric("loss", float(s), s, s) for s in range(40)], {}, {})
    (chunk,) = MetricChunkItem.query(f"HIST#{run_id}#loss")
    old_token = base64.urlsafe_b64encode(json.dumps({"sk": chunk.sk, "skip": 25}).encode()).decode()
    assert [m.step for m in store.history(run_id, "loss", old_token, 100).items] == list(range(25, 40))


class _FlakyConnection:
    """Leaves the first item of each of the first `failures` BatchWriteItem calls unprocessed."""

    def __init__(self, real: Any, table: str, failures: int) -> None:
        self.real, self.table, self.failures = real, table, failures

    def batch_write_item(self, put_items: list[Any]) -> dict[str, Any]:
        if self.failures > 0:
            self.failures -= 1
            self.real.batch_write_item(put_items=put_items[1:])
            return {"UnprocessedItems": {self.table: [{"PutRequest": {"Item": put_items[0]}}]}}
        return self.real.batch_write_item(put_items=put_items)


def test_unprocessed_items_are_retried_until_written(
    store: DynamoTrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = a_run(store)
    flaky = _FlakyConnection(MetricChunkItem._get_connection(), MetricChunkItem.Meta.table_name, failures=3)
    monkeypatch.setattr(MetricChunkItem, "_get_connection", classmethod(lambda cls: flaky))
    store.append_history(run_id, points(30, history_chunks.SHARED_BELOW_POINTS))  # a chunk per key
    monkeypatch.undo()
    stored = {chunk.pk.rsplit("#", 1)[1] for chunk in MetricChunkItem.scan()}
    assert stored == {f"k{k}" for k in range(30)}


def test_items_left_unprocessed_forever_raise_a_retryable_error(
    store: DynamoTrackingStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    flaky = _FlakyConnection(MetricChunkItem._get_connection(), MetricChunkItem.Meta.table_name, failures=100)
    monkeypatch.setattr(MetricChunkItem, "_get_connection", classmethod(lambda cls: flaky))
    chunk = MetricChunkItem(pk="HIST#r#k", sk="s", points=b"\x00" * 24)
    with pytest.raises(Unavailable):
        batch.put_all(MetricChunkItem, [chunk], RetryPolicy(sleep=lambda _: None))
