"""The write budgets of ADR 010, counted with bench/capacity.py's meter (requests on the wire, units from
the item sizes and the table's index projections) on a run of the cost model's shape."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest
from bench.capacity import Meter, measure, metered

from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric
from trackway_backend.logic import experiments, runs

METRICS = [f"metric_{k:02d}" for k in range(50)]
PARAMS = {f"param_{k:02d}": f"value-{k}" for k in range(20)}
TAGS = {
    "mlflow.user": "ana",
    "mlflow.source.name": "train.py",
    "mlflow.source.type": "LOCAL",
    "mlflow.source.git.commit": "3f2c9a1d5e7b8c4f0a6d2e9b1c3f5a7d9e0b2c4f",
}


def step(number: int, keys: list[str] = METRICS) -> list[Metric]:
    return [
        Metric(key, 1 / (1 + number) + math.sin(number * 12.9 + k) / 50, 1_700_000_000_000 + number, number)
        for k, key in enumerate(keys)
    ]


@pytest.fixture
def store(call: Any) -> DynamoTrackingStore:
    return DynamoTrackingStore()


@pytest.fixture
def meter() -> Iterator[Meter]:
    with metered() as meter:
        yield meter


@pytest.fixture
def shaped_run(store: DynamoTrackingStore) -> str:
    experiment_id = experiments.create(store, "budgets", "mlflow-artifacts:/", None, {})
    run_id = runs.create(store, experiment_id, "ana", "r", None, dict(TAGS)).run_id
    runs.log_batch(store, run_id, step(0), PARAMS, {"tag": "v"})
    return run_id


def test_500_distinct_keys_cost_at_most_5_requests(store: DynamoTrackingStore, meter: Meter, shaped_run: str) -> None:
    wide = [Metric(f"key_{k:03d}", 0.5, 1, 1) for k in range(500)]
    counted = measure(meter, lambda: runs.log_batch(store, shaped_run, wide, {}, {}))
    assert counted["requests"] <= 5, counted


def test_one_log_metric_costs_at_most_4_write_units(store: DynamoTrackingStore, meter: Meter, shaped_run: str) -> None:
    counted = measure(meter, lambda: runs.log_batch(store, shaped_run, step(1, METRICS[:1]), {}, {}))
    assert counted["write_units"] <= 4, counted


def test_one_step_of_50_metrics_costs_at_most_10_write_units(
    store: DynamoTrackingStore, meter: Meter, shaped_run: str
) -> None:
    counted = measure(meter, lambda: runs.log_batch(store, shaped_run, step(1), {}, {}))
    assert counted["write_units"] <= 10, counted


def test_1000_points_over_10_keys_cost_at_most_3_requests_and_40_write_units(
    store: DynamoTrackingStore, meter: Meter, shaped_run: str
) -> None:
    points = [point for number in range(1, 101) for point in step(number, METRICS[:10])]
    counted = measure(meter, lambda: runs.log_batch(store, shaped_run, points, {}, {}))
    assert counted["requests"] <= 3 and counted["write_units"] <= 40, counted


def test_the_meter_charges_a_new_run_its_index_entry(store: DynamoTrackingStore, meter: Meter) -> None:
    """The index is keys only: creating a run writes it, updating the summary does not. Each also writes
    its shard's change mark (one unit)."""
    experiment_id = experiments.create(store, "index", "mlflow-artifacts:/", None, {})
    created_runs: list[str] = []
    created = measure(
        meter, lambda: created_runs.append(runs.create(store, experiment_id, "ana", "r", None, {}).run_id)
    )
    (run_id,) = created_runs
    updated = measure(meter, lambda: runs.log_batch(store, run_id, [], {"p": "1"}, {}))
    assert (created["write_units"], updated["write_units"]) == (3, 2)
