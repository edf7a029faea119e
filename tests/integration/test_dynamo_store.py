from __future__ import annotations

from typing import Any

import pytest

from trackway_backend.adapters.dynamo import batch
from trackway_backend.adapters.dynamo.tracking_items import MetricChunkItem
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


@pytest.mark.parametrize(("keys", "per_key", "budget"), [(10, 100, 3), (500, 1, 25)])
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
    store.append_history(run_id, points(30, 1))
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
