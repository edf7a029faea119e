"""Measured DynamoDB requests, write units, read units and item sizes of the operations the cost model
prices, on DynamoDB Local through the real store code (bench/capacity.py counts them).

The run is the cost model's run: 50 metrics x 1,000 steps, 20 params, the mlflow client's tags. Values are
full-precision floats, as a training loop logs them (they compress as real ones do). `budgets` holds the
four write-budget rows of ADR 010, each counted on a run of that shape.
Run: `.venv/bin/python -m bench.cost_units` (starts its own DynamoDB Local; ~5 min).
"""

from __future__ import annotations

import json
import math
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench.capacity import Meter, item_size, measure, metered
from bench.context import RUN_TAGS
from trackway_backend.adapters.dynamo.run_summaries import change_mark_item
from trackway_backend.adapters.dynamo.tracking_items import META, RunItem
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric, RunStatus, ViewType
from trackway_backend.local.server import local_engines
from trackway_backend.logic import experiments, metrics, runs
from trackway_backend.settings import TrackingSettings

METRICS = [f"metric_{k:02d}" for k in range(50)]
STEPS = 1_000
BATCH_POINTS = 1_000
PARAMS = {f"param_{k:02d}": f"value-{k}" for k in range(20)}
SEARCH_RUNS = 200
OUT = Path(__file__).with_name("out")
_T0 = 1_700_000_000_000


def step_points(steps: range, keys: list[str] = METRICS) -> list[Metric]:
    return [Metric(key, _value(k, step), _T0 + step, step) for step in steps for k, key in enumerate(keys)]


def _value(key_index: int, step: int) -> float:
    """A loss-like curve with noise: a full-precision float, as training code logs."""
    return 1.0 / (1 + step / 100) + math.sin(step * 12.9898 + key_index * 78.233) / 50


def _shaped_run(store: DynamoTrackingStore, experiment_id: str) -> str:
    """A run of the cost model's shape: created with the client's tags, 20 params, a first step of 50 metrics."""
    run_id = runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id
    runs.log_batch(store, run_id, step_points(range(1)), PARAMS, {"tag": "v"})
    return run_id


def _training_run(store: DynamoTrackingStore, meter: Meter, experiment_id: str) -> dict[str, Any]:
    """One run logged the SDK way: 1,000-point batches (20 steps x 50 metrics)."""
    out: dict[str, Any] = {}
    run_holder: list[str] = []
    out["create_run"] = measure(
        meter, lambda: run_holder.append(runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id)
    )
    run_id = run_holder[0]
    out["log_params_and_tags"] = measure(meter, lambda: runs.log_batch(store, run_id, [], PARAMS, {"tag": "v"}))
    steps_per_batch = BATCH_POINTS // len(METRICS)
    batches = [
        measure(
            meter,
            lambda start=start: runs.log_batch(
                store, run_id, step_points(range(start, start + steps_per_batch)), {}, {}
            ),
        )
        for start in range(0, STEPS, steps_per_batch)
    ]
    out["log_batch_1000_points_50_keys"] = _median(batches)
    out["log_batch_one_step_50_keys"] = measure(
        meter, lambda: runs.log_batch(store, run_id, step_points(range(STEPS, STEPS + 1)), {}, {})
    )
    out["log_metric_1_point"] = measure(
        meter, lambda: runs.log_batch(store, run_id, [Metric(METRICS[0], 1.0, _T0 + STEPS + 1, STEPS + 1)], {}, {})
    )
    out["finish_run"] = measure(meter, lambda: runs.update(store, run_id, RunStatus.FINISHED, _T0 + 10**6, None))
    out["get_run"] = measure(meter, lambda: runs.get(store, run_id))
    out["get_history_1000_points_batched"] = measure(
        meter, lambda: metrics.history(store, run_id, METRICS[1], None, None)
    )
    summary = RunItem.get(f"RUN#{run_id}", META).serialize()
    mark = change_mark_item(runs.get(store, run_id), store._shards).serialize()
    return out | {"run_id": run_id, "summary_item_bytes": item_size(summary), "mark_item_bytes": item_size(mark)}


def _budgets(store: DynamoTrackingStore, meter: Meter, experiment_id: str, training: dict[str, Any]) -> dict[str, Any]:
    """The write-budget rows (ADR 010), each on a fresh run of the cost model's shape."""
    wide = [Metric(f"key_{k:03d}", _value(k, 1), _T0 + 1, 1) for k in range(500)]
    wide_run = _shaped_run(store, experiment_id)
    ten_keys_run = _shaped_run(store, experiment_id)
    return {
        "budgets": {
            "log_batch_500_distinct_keys": measure(meter, lambda: runs.log_batch(store, wide_run, wide, {}, {})),
            "log_metric_1_point": training["log_metric_1_point"],
            "log_metrics_one_step_50_keys": training["log_batch_one_step_50_keys"],
            "log_batch_1000_points_10_keys": measure(
                meter, lambda: runs.log_batch(store, ten_keys_run, step_points(range(1, 101), METRICS[:10]), {}, {})
            ),
        }
    }


def _per_step_history(store: DynamoTrackingStore, meter: Meter, experiment_id: str) -> dict[str, Any]:
    """50 metrics logged one step per request (mlflow.log_metrics), then one of them read back."""
    run_id = runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id
    for step in range(STEPS):
        runs.log_batch(store, run_id, step_points(range(step, step + 1)), {}, {})
    return {
        "get_history_1000_points_per_step": measure(
            meter, lambda: metrics.history(store, run_id, METRICS[1], None, None)
        )
    }


def _per_call_history(store: DynamoTrackingStore, meter: Meter, experiment_id: str) -> dict[str, Any]:
    """One metric logged one point per request (mlflow.log_metric), then read back."""
    run_id = runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id
    for step in range(STEPS):
        runs.log_batch(store, run_id, [Metric("loss", _value(0, step), _T0 + step, step)], {}, {})
    return {
        "get_history_1000_points_per_call": measure(meter, lambda: metrics.history(store, run_id, "loss", None, None))
    }


def _search(store: DynamoTrackingStore, meter: Meter) -> dict[str, Any]:
    """search_runs over an experiment of SEARCH_RUNS runs shaped like the training run."""
    experiment_id = experiments.create(store, "cost-search", "mlflow-artifacts:/", None, {})
    for index in range(SEARCH_RUNS):
        run_id = runs.create(store, experiment_id, "bench", None, _T0 + index, dict(RUN_TAGS)).run_id
        runs.log_batch(store, run_id, step_points(range(STEPS - 1, STEPS)), PARAMS, {"tag": "v"})
    result = measure(meter, lambda: runs.search(store, [experiment_id], None, ViewType.ACTIVE_ONLY, 1000, [], None))
    result["runs"] = SEARCH_RUNS
    result["read_units_per_run"] = round(result["read_units"] / SEARCH_RUNS, 3)
    return {"search_runs": result}


def _median(samples: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        key: statistics.median(sample[key] for sample in samples)
        for key in ("requests", "write_units", "read_units", "items_written", "bytes_written")
    } | {"samples": len(samples)}


def main(shared_below_points: int | None = None, out: Path | None = OUT / "cost_units.json") -> dict[str, Any]:
    """Measures everything; `shared_below_points` overrides the history layout's threshold (ADR 010)."""
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=scratch) as data, local_engines(Path(data)):
        store = DynamoTrackingStore(TrackingSettings().run_index_shards)
        if shared_below_points is not None:
            store.shared_below_points = shared_below_points
        with metered() as meter:
            experiment_id = experiments.create(store, "cost", "mlflow-artifacts:/", None, {})
            results = _training_run(store, meter, experiment_id)
            results |= _budgets(store, meter, experiment_id, results)
            results |= _per_step_history(store, meter, experiment_id)
            results |= _per_call_history(store, meter, experiment_id)
            results |= _search(store, meter)
    if out is not None:
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
