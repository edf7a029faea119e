"""Where trackway's time goes on the workloads where it is slower than mlflow server, in one process.

Runs the store code against DynamoDB Local (tmpfs) without HTTP and splits each operation's wall time
into time spent waiting for DynamoDB calls and everything else (Python: validation, pynamodb
(de)serialisation, JSON decoding of run summaries, filtering, sorting). DynamoDB time is summed over
threads, so it exceeds the wall time where the store fans out (parallel BatchWriteItem waves, shard queries).

Run: `.venv/bin/python -m bench.breakdown` (~2 min; its own DynamoDB Local).
"""

from __future__ import annotations

import json
import signal
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.client import BaseClient

from bench.context import RUN_TAGS
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric, ViewType
from trackway_backend.local.server import local_engines
from trackway_backend.logic import experiments, runs
from trackway_backend.settings import TrackingSettings

SEARCH_RUNS = 2_000
REPEATS = 5
_T0 = 1_700_000_000_000


class DynamoTimer:
    """Wall time spent inside DynamoDB calls, summed over threads (so it can exceed the elapsed time)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.calls = 0
        self._lock = threading.Lock()

    @contextmanager
    def installed(self) -> Iterator[DynamoTimer]:
        original = BaseClient._make_api_call

        def call(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb":  # the local stream poller's calls
                return original(client, operation, params)
            began = time.perf_counter()
            try:
                return original(client, operation, params)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - began
                    self.calls += 1

        BaseClient._make_api_call = call  # type: ignore[method-assign]
        try:
            yield self
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]


def timed(timer: DynamoTimer, action: Callable[[], object]) -> dict[str, float]:
    samples = []
    for _ in range(REPEATS):
        timer.seconds, timer.calls = 0.0, 0
        began = time.perf_counter()
        action()
        samples.append((time.perf_counter() - began, timer.seconds, timer.calls))
    wall, in_dynamo, calls = (statistics.median(values) for values in zip(*samples, strict=True))
    return {"wall_ms": round(wall * 1000, 1), "dynamodb_ms": round(in_dynamo * 1000, 1), "dynamodb_calls": calls}


def raw_index_query(experiment_id: str, shards: int, count_only: bool = False) -> int:
    """The same 16-thread fan-out over the run-index shards with plain boto3: no pynamodb, no JSON decode.
    Returns the number of index entries; `count_only` asks DynamoDB for counts instead of the keys."""
    settings = TrackingSettings.from_env()
    client = boto3.client("dynamodb", endpoint_url=settings.dynamodb_endpoint, region_name=settings.region)
    select: dict[str, str] = {"Select": "COUNT"} if count_only else {}

    def query(shard: int) -> int:
        pages = client.get_paginator("query").paginate(
            TableName=settings.tracking_table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :p",
            ExpressionAttributeValues={":p": {"S": f"RUNS#{experiment_id}#{shard}"}},
            **select,
        )
        return sum(int(page["Count"]) for page in pages)

    with ThreadPoolExecutor(max_workers=16) as pool:
        return sum(pool.map(query, range(shards)))


def _seed_run(store: DynamoTrackingStore, experiment_id: str, index: int) -> None:
    run_id = runs.create(store, experiment_id, "bench", None, _T0 + index, dict(RUN_TAGS)).run_id
    values = [((index * prime) % 1000) / 1000 for prime in (7919, 104_729, 1_299_709)]
    metrics = [Metric(f"m{k}", v, _T0, 0) for k, v in enumerate(values)]
    runs.log_batch(store, run_id, metrics, {"p0": "abcd"[index % 4], "p1": str(index % 10)}, {})


def main() -> dict[str, Any]:
    signal.signal(signal.SIGTERM, _interrupt)
    results: dict[str, Any] = {}
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(dir=scratch) as data, local_engines(Path(data)):
        store = DynamoTrackingStore(TrackingSettings().run_index_shards)
        experiment_id = experiments.create(store, "breakdown", "mlflow-artifacts:/", None, {})
        run_id = runs.create(store, experiment_id, "bench", None, _T0, dict(RUN_TAGS)).run_id
        step = iter(range(10**6))

        def wide() -> None:
            s = next(step)
            runs.log_batch(store, run_id, [Metric(f"m{k:03d}", 0.5, _T0 + s, s) for k in range(500)], {}, {})

        with DynamoTimer().installed() as timer:
            wide()  # warm the JVM and the connections
            results["log_batch_500_keys"] = timed(timer, wide)
            search_experiment = experiments.create(store, "breakdown-search", "mlflow-artifacts:/", None, {})
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(lambda index: _seed_run(store, search_experiment, index), range(SEARCH_RUNS)))
            raw = lambda: raw_index_query(search_experiment, TrackingSettings().run_index_shards)  # noqa: E731
            results[f"query_only_{SEARCH_RUNS}_summaries"] = timed(timer, raw)
            list_all = lambda: list(store.list_runs([search_experiment]))  # noqa: E731
            results[f"read_and_decode_{SEARCH_RUNS}_summaries"] = timed(timer, list_all)
            filtered = lambda: runs.search(  # noqa: E731
                store,
                [search_experiment],
                "metrics.m0 > 0.5 and params.p0 = 'a'",
                ViewType.ACTIVE_ONLY,
                100,
                ["metrics.m1 DESC"],
                None,
            )
            results[f"search_{SEARCH_RUNS}_runs_filtered"] = timed(timer, filtered)
    return results


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt  # unwinds the local stack: DynamoDB Local and s3rver stop, the temp dir goes


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
