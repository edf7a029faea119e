"""Chooses the history layout's threshold with numbers (docs/adr/010-metric-write-budgets.md).

A metric group with fewer points than the threshold shares an item with the request's other small groups
(history_chunks.SHARED_BELOW_POINTS): fewer write units, but get-history of one key then reads the points of
every key in those items. For each threshold this counts, on DynamoDB Local, the write units of one logging
request and the read units of one get-history in the cost model's logging styles A (SDK batches of 20 steps
x 50 metrics) and B (one step of 50 metrics per request), and prices a month of the COST.md scenario's
logging plus its UI traffic. Style C (one point per request) is a lone group: never shared.
Run: `.venv/bin/python -m bench.history_layout` (starts its own DynamoDB Local; ~4 min).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench import cost_model
from bench.capacity import Meter, measure, metered
from bench.context import RUN_TAGS
from bench.cost_units import BATCH_POINTS, METRICS, OUT, STEPS, step_points
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.logic import experiments, metrics, runs

THRESHOLDS = (1, 16, 32)  # 1: never share; 16: steps shared, SDK batches (20 a key) not; 32: both shared
_T0 = 1_700_000_000_000


def _style(store: DynamoTrackingStore, meter: Meter, experiment_id: str, steps_per_request: int) -> dict[str, Any]:
    """Log 50 metrics x 1,000 steps in requests of `steps_per_request` steps; the last request's units and
    one key's get-history."""
    run_id = runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id
    for start in range(0, STEPS - steps_per_request, steps_per_request):
        runs.log_batch(store, run_id, step_points(range(start, start + steps_per_request)), {}, {})
    last = range(STEPS - steps_per_request, STEPS)
    write = measure(meter, lambda: runs.log_batch(store, run_id, step_points(last), {}, {}))
    read = measure(meter, lambda: metrics.history(store, run_id, METRICS[1], None, None))
    return {"write_units": write["write_units"], "read_units": read["read_units"], "read_requests": read["requests"]}


def measure_thresholds() -> dict[str, Any]:
    from trackway_backend.local.server import local_engines

    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(dir=scratch) as data, local_engines(Path(data)):
        store = DynamoTrackingStore()
        with metered() as meter:
            experiment_id = experiments.create(store, "layout", "mlflow-artifacts:/", None, {})
            for threshold in THRESHOLDS:
                store.shared_below_points = threshold
                results[str(threshold)] = {
                    "A": _style(store, meter, experiment_id, BATCH_POINTS // len(METRICS)),
                    "B": _style(store, meter, experiment_id, 1),
                }
    return results


def monthly_usd(style: dict[str, Any], requests_per_run: int) -> dict[str, float]:
    """Logging writes and UI history reads of a month of the scenario, in USD."""
    writes = cost_model.RUNS_PER_MONTH * requests_per_run * style["write_units"]
    reads = cost_model.RUN_VIEWS_PER_MONTH * cost_model.CHARTS_PER_VIEW * style["read_units"]
    prices = cost_model.PRICES
    write_usd = writes / 1e6 * prices["dynamodb_wru_per_million"]
    read_usd = reads / 1e6 * prices["dynamodb_rru_per_million"]
    return {"writes": round(write_usd, 2), "reads": round(read_usd, 2), "total": round(write_usd + read_usd, 2)}


def markdown(results: dict[str, Any]) -> str:
    requests = {"A": len(METRICS) * STEPS // BATCH_POINTS, "B": STEPS}
    rows = [
        "| threshold | style | WRU a request | get-history RRU | USD a month: writes + UI reads = total |",
        "|---|---|---|---|---|",
    ]
    for threshold, styles in results.items():
        for name, style in styles.items():
            usd = monthly_usd(style, requests[name])
            rows.append(
                f"| {threshold} | {name} | {style['write_units']:g} | {style['read_units']:g} "
                f"| ${usd['writes']:,.2f} + ${usd['reads']:,.2f} = ${usd['total']:,.2f} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    measured = measure_thresholds()
    OUT.mkdir(exist_ok=True)
    (OUT / "history_layout.json").write_text(json.dumps(measured, indent=2) + "\n")
    print(markdown(measured))
