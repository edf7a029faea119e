"""Scale simulation: 1,000 concurrent runs in one experiment, each logging 10 metrics per second.

Drives the real write path (`logic.runs.log_batch` → `DynamoTrackingStore`) against an in-memory DynamoDB
that records every item written (bench/fake_dynamo.py), second by simulated second, and counts writes and
write units per partition key, table and GSI (`gsi1pk` = `RUNS#<exp>#<crc32(run) % shards>`). A write
costs ceil(size / 1 KB) units, doubled in a transaction; an item carrying `gsi1pk` writes its index
partition only when the write changes what the index holds (gsi1 projects keys only: a new run, not a
summary update; ADR 010). DynamoDB's per-partition limit is 1,000 write
units/s (and 1,000 writes/s); every partition key must stay under it.

Two client styles, for the same 10 metrics per run per second:
- sdk: one log_batch per second with 10 metrics (trackway SDK, `mlflow.log_metrics`);
- per_call: ten log-metric requests per second (`mlflow.log_metric` in a loop).

Run: `.venv/bin/python -m bench.scale_simulation [--seconds 3] [--shards 16 64]`.
"""

from __future__ import annotations

import argparse
import json
import math
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.capacity import item_size
from bench.context import RUN_TAGS
from bench.fake_dynamo import FakeDynamo, Write, installed
from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.tables import bind_tracking
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric
from trackway_backend.logic import experiments, runs
from trackway_backend.settings import TrackingSettings

LIMIT_UNITS = 1_000
PARAMS = {f"param_{k}": f"value-{k}" for k in range(20)}  # a typical training config, logged once
OUT = Path(__file__).with_name("out")
_START = 1_700_000_000_000


class PartitionMeter:
    """Writes and write units per (partition key, simulated second), table and index apart."""

    def __init__(self) -> None:
        self.second: int | None = None  # None: not counting (setup)
        self.writes: dict[tuple[str, str, int], int] = defaultdict(int)
        self.units: dict[tuple[str, str, int], int] = defaultdict(int)

    def record(self, write: Write) -> None:
        if self.second is None:
            return
        size_units = math.ceil(item_size(write.item) / 1024)
        self._add("table", write.item["pk"]["S"], size_units * (2 if write.transactional else 1))
        if "gsi1pk" in write.item and _index_entry(write.item) != _index_entry(write.previous):
            self._add("gsi1", write.item["gsi1pk"]["S"], math.ceil(item_size(_index_entry(write.item) or {}) / 1024))

    def _add(self, where: str, partition: str, units: int) -> None:
        assert self.second is not None
        self.writes[(where, partition, self.second)] += 1
        self.units[(where, partition, self.second)] += units


def _index_entry(item: dict[str, Any] | None) -> dict[str, Any] | None:
    """What gsi1 holds of an item: its keys (a keys-only projection), or the whole item (ALL)."""
    if item is None or "gsi1pk" not in item:
        return None
    if TrackingItem.by_collection.Meta.projection.projection_type == "ALL":  # type: ignore[attr-defined]
        return item
    return {name: item[name] for name in ("pk", "sk", "gsi1pk", "gsi1sk") if name in item}


def simulate(
    style: str, run_count: int, seconds: int, shards: int, metrics_per_second: int = 10, other_metrics: int = 0
) -> dict[str, Any]:
    """`other_metrics`: keys each run logged once before the window (they widen the run summary)."""
    meter = PartitionMeter()
    settings = TrackingSettings()
    tables = {settings.tracking_table: TrackingItem, settings.outbox_table: OutboxItem}
    with installed(FakeDynamo(tables, meter.record)):
        bind_tracking(settings.tracking_table, settings.outbox_table, settings)
        store = DynamoTrackingStore(run_index_shards=shards)
        experiment_id = experiments.create(store, "scale", "mlflow-artifacts:/", None, {})
        run_ids = [
            runs.create(store, experiment_id, "bench", None, _START, dict(RUN_TAGS)).run_id for _ in range(run_count)
        ]
        earlier = [Metric(f"earlier_{k}", 0.5, _START, 0) for k in range(other_metrics)]
        for run_id in run_ids:
            runs.log_batch(store, run_id, earlier, PARAMS, {})
        keys = [f"metric_{k}" for k in range(metrics_per_second)]
        for second in range(seconds):
            meter.second = second
            timestamp = _START + 1000 * (second + 1)
            for run_id in run_ids:
                points = [Metric(key, 0.5 + second, timestamp, second) for key in keys]
                if style == "sdk":
                    runs.log_batch(store, run_id, points, {}, {})
                else:
                    for point in points:
                        runs.log_batch(store, run_id, [point], {}, {})
    return _summarize(style, meter, run_ids, experiment_id, shards, seconds)


def _summarize(
    style: str, meter: PartitionMeter, run_ids: list[str], experiment_id: str, shards: int, seconds: int
) -> dict[str, Any]:
    by_kind: dict[str, dict[str, float]] = {}
    for (where, partition, _second), units in meter.units.items():
        kind = f"{where}:{partition.split('#')[0]}#"
        entry = by_kind.setdefault(kind, {"partitions": 0, "max_writes_per_s": 0, "max_units_per_s": 0})
        entry["max_units_per_s"] = max(entry["max_units_per_s"], units)
        entry["max_writes_per_s"] = max(entry["max_writes_per_s"], meter.writes[(where, partition, _second)])
    for kind, entry in by_kind.items():
        entry["partitions"] = len({p for (w, p, _s) in meter.units if f"{w}:{p.split('#')[0]}#" == kind})
    runs_per_shard = defaultdict(int)
    for run_id in run_ids:
        runs_per_shard[zlib.crc32(run_id.encode()) % shards] += 1
    index = {
        shard: {
            "runs": runs_per_shard[shard],
            "writes_per_s": max(
                meter.writes.get(("gsi1", f"RUNS#{experiment_id}#{shard}", s), 0) for s in range(seconds)
            ),
            "units_per_s": max(
                meter.units.get(("gsi1", f"RUNS#{experiment_id}#{shard}", s), 0) for s in range(seconds)
            ),
        }
        for shard in range(shards)
    }
    worst = max(meter.units.items(), key=lambda entry: entry[1])
    return {
        "style": style,
        "runs": len(run_ids),
        "shards": shards,
        "seconds": seconds,
        "by_partition_kind": by_kind,
        "index_shards": index,
        "hottest": {"where": worst[0][0], "partition": worst[0][1], "units_per_s": worst[1]},
        "max_writes_per_s": max(meter.writes.values()),
        "under_limit": worst[1] <= LIMIT_UNITS and max(meter.writes.values()) <= LIMIT_UNITS,
        "total_units_per_s": round(sum(meter.units.values()) / seconds),
    }


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| client style | shards | hottest partition | its writes/s | its WCU/s | run index shard max WCU/s "
        "| RUN# max WCU/s | HIST# max WCU/s | all partitions WCU/s | under 1,000? |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        kinds = r["by_partition_kind"]
        index_max = max(shard["units_per_s"] for shard in r["index_shards"].values())
        lines.append(
            f"| {r['style']} | {r['shards']} | {r['hottest']['where']} `{r['hottest']['partition'].split('#')[0]}#…` "
            f"| {r['max_writes_per_s']:,} | {r['hottest']['units_per_s']:,} | {index_max:,} "
            f"| {kinds.get('table:RUN#', {}).get('max_units_per_s', 0):,} "
            f"| {kinds.get('table:HIST#', {}).get('max_units_per_s', 0):,} | {r['total_units_per_s']:,} "
            f"| {'yes' if r['under_limit'] else '**NO**'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_simulation", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=3)
    parser.add_argument("--shards", type=int, nargs="+", default=[TrackingSettings().run_index_shards])
    parser.add_argument("--other-metrics", type=int, default=0, help="keys each run logged before (wider summary)")
    parser.add_argument("--styles", nargs="+", default=["sdk", "per_call"], choices=["sdk", "per_call"])
    args = parser.parse_args(argv)
    results = []
    for shards in args.shards:
        for style in args.styles:
            print(f"simulating {args.runs} runs for {args.seconds} s, {style}, {shards} shards", flush=True)
            results.append(simulate(style, args.runs, args.seconds, shards, other_metrics=args.other_metrics))
    OUT.mkdir(exist_ok=True)
    name = f"scale_simulation_{args.other_metrics}_other_metrics" if args.other_metrics else "scale_simulation"
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")
    print(markdown(results))
    return results


if __name__ == "__main__":
    main()
