"""search_runs over 100,000 runs in one experiment on the local stack (issue 12: the first page within 2 s).

Seeding 100,000 runs through the HTTP API would take hours on a shared 2-core machine, so the seed writes the
run summary items straight into the local stack's DynamoDB Local table, built with the store's own mapping
(`run_to_item`, the index shard of `DynamoRunStore`), with the engines started in this process and no API
running. The seed is deterministic and kept in `--data-dir`: a later run finds the experiment full and skips
it (a partial seed is completed; every write is an idempotent put of the same item). Then the local stack
starts on that data directory and every phase runs through its HTTP API, each answer checked against the
seed's formula (a wrong answer is reported WRONG, never as a time):

- first page, default order (start_time DESC), 1,000 and 100 runs: through the start_time index;
- first page with a metric filter (`metrics.m0 > 0.5`, about half the runs), ordered by start_time;
- a metric + param filter ordered by a metric: reads every summary of the experiment (docs/adr/011-search.md);
- the first page through the real mlflow client (`MlflowClient().search_runs`).

With `--targets trackway,mlflow-sqlite` the same runs are also written into an `mlflow server` sqlite
database with plain SQL (schema made by mlflow's own SqlAlchemyStore) and the same phases run against it.
`--breakdown` splits the trackway first page, in process, into index queries, summary reads and decoding.
Server data lives on tmpfs (/dev/shm) by default, as in `make bench`: DynamoDB Local syncs every item it
writes, and on this machine's disk the seed ran at 43 runs/s against about 350 on tmpfs (100,000 runs in
5 minutes). Not part of `make test` or `make bench` (the first seed takes minutes; later runs reuse it).

    .venv/bin/python -m bench.search_scale                                # seed once, then measure trackway
    .venv/bin/python -m bench.search_scale --targets trackway,mlflow-sqlite
    .venv/bin/python -m bench.search_scale --breakdown                    # in process, the stack stopped
    .venv/bin/python -m bench.search_scale --data-dir DIR --runs 3000     # elsewhere, smaller
"""

from __future__ import annotations

import argparse
import hashlib
import json
import signal
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import machine, targets
from bench.context import RUN_TAGS, Context
from bench.rest import MlflowRest
from bench.run import run_workload, tmpfs
from bench.search_workloads import FILTER, ORDER_BY, metric_values, param_value
from bench.sizes import FULL
from bench.timing import Measurement, measure

RUNS = 100_000
TARGET_SECONDS = 2.0
METRIC_FILTER = "metrics.m0 > 0.5"
BY_START_TIME = ["attributes.start_time DESC"]
OUT = Path(__file__).with_name("out")
_T0 = 1_700_000_000_000
_SEED_CHUNK = 2_000
_CHECK_PAGE = 10_000
_SLOW_TIMEOUT = 900


def _say(line: str) -> None:
    print(line, flush=True)


# The seed: run `index` of `runs`, from formulas, so every answer can be computed here.
def run_id(index: int) -> str:
    return hashlib.md5(f"search-scale-{index}".encode()).hexdigest()  # 32 hex digits, as uuid4().hex


def start_time(index: int) -> int:
    return _T0 + 1000 * index  # one run a second: the newest run has the highest index


def params(index: int) -> dict[str, str]:
    return {"p0": param_value(index), "p1": str(index % 10), "p2": f"value-{index}"}


def tags(index: int) -> dict[str, str]:
    return {**RUN_TAGS, "mlflow.runName": f"run-{index}"}


def experiment_name(runs: int) -> str:
    return f"search-scale-{runs}"


def newest(runs: int, limit: int, keep: Callable[[int], bool] = lambda _index: True) -> list[str]:
    """Run ids of the first page in start_time DESC order among the runs `keep` admits."""
    found: list[str] = []
    for index in range(runs - 1, -1, -1):
        if len(found) == limit:
            break
        if keep(index):
            found.append(run_id(index))
    return found


def metric_filtered(index: int) -> bool:
    return metric_values(index)[0] > 0.5


def by_metric(runs: int, limit: int) -> list[str]:
    """Run ids of FILTER ordered by ORDER_BY (m1 DESC), ties by start_time DESC then run_id (MLflow's order)."""
    matching = [i for i in range(runs) if metric_values(i)[0] > 0.5 and param_value(i) == "a"]
    matching.sort(key=lambda i: (-metric_values(i)[1], -start_time(i), run_id(i)))
    return [run_id(i) for i in matching[:limit]]


# trackway: the summary items, written into DynamoDB Local with the store's mapping.
def seed_trackway(data_dir: Path, runs: int, progress: Callable[[str], None] = _say) -> str:
    """Engines in this process (no API), the experiment and `runs` run summaries; returns the experiment id."""
    from bench.breakdown import raw_index_query
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.local.server import local_engines
    from trackway_backend.logic import experiments
    from trackway_backend.settings import TrackingSettings

    with local_engines(data_dir):
        settings = TrackingSettings.from_env()
        store = DynamoTrackingStore(settings.run_index_shards)
        name = experiment_name(runs)
        experiment_id = store.find_experiment_id(name) or experiments.create(
            store, name, settings.artifact_root, None, {}
        )
        stored = raw_index_query(experiment_id, settings.run_index_shards, count_only=True)
        if stored == runs:
            progress(f"trackway: experiment {experiment_id} already holds {runs:,} runs; seed skipped")
            return experiment_id
        progress(f"trackway: experiment {experiment_id} holds {stored:,} runs; writing {runs:,}")
        artifact_location = store.get_experiment(experiment_id).artifact_location
        write_runs(experiment_id, artifact_location, runs, settings.run_index_shards, progress)
        stored = raw_index_query(experiment_id, settings.run_index_shards, count_only=True)
        if stored != runs:
            raise RuntimeError(f"the run index of experiment {experiment_id} holds {stored:,} runs, not {runs:,}")
        return experiment_id


def summary_item(experiment_id: str, artifact_location: str, index: int, shards: int) -> Any:
    """The RunItem the store writes for this run (DynamoRunStore._run_item: shard = crc32(run_id) % shards)."""
    from trackway_backend.adapters.dynamo.tracking_mapping import run_to_item
    from trackway_backend.domain import Metric, Run, RunStatus

    identifier, started = run_id(index), start_time(index)
    run = Run(
        run_id=identifier,
        experiment_id=experiment_id,
        run_name=f"run-{index}",
        user_id="bench",
        status=RunStatus.FINISHED,
        start_time=started,
        end_time=started + 60_000,
        artifact_uri=f"{artifact_location}/{identifier}/artifacts",
        params=params(index),
        tags=tags(index),
        metrics={f"m{k}": Metric(f"m{k}", v, started, 0) for k, v in enumerate(metric_values(index))},
        revision=1,
    )
    shard = zlib.crc32(identifier.encode()) % shards
    return run_to_item(run, gsi1pk=f"RUNS#{experiment_id}#{shard}")


def write_runs(
    experiment_id: str, artifact_location: str, runs: int, shards: int, progress: Callable[[str], None]
) -> None:
    """BatchWriteItem through the store's batch writer (8 in parallel, unprocessed items retried)."""
    from trackway_backend.adapters.dynamo import batch
    from trackway_backend.adapters.dynamo.tracking_items import RunItem

    began = time.monotonic()
    for first in range(0, runs, _SEED_CHUNK):
        items = [
            summary_item(experiment_id, artifact_location, i, shards)
            for i in range(first, min(runs, first + _SEED_CHUNK))
        ]
        batch.put_all(RunItem, items)
        done, elapsed = first + len(items), time.monotonic() - began
        if done % (5 * _SEED_CHUNK) == 0 or done == runs:
            progress(f"    seeding trackway: {done:,}/{runs:,} runs, {done / elapsed:,.0f} runs/s ({elapsed:.0f} s)")


# mlflow server: the same runs in its sqlite database, with plain SQL into the schema mlflow creates.
def seed_mlflow_sqlite(db: Path, runs: int, progress: Callable[[str], None] = _say) -> str:
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    db.parent.mkdir(parents=True, exist_ok=True)
    store = SqlAlchemyStore(f"sqlite:///{db}", str(db.parent / "artifacts"))  # creates and migrates the schema
    name = experiment_name(runs)
    found = store.get_experiment_by_name(name)
    experiment_id = found.experiment_id if found else store.create_experiment(name)
    store.engine.dispose()
    with sqlite3.connect(db) as connection:
        (stored,) = connection.execute("SELECT count(*) FROM runs WHERE experiment_id = ?", (experiment_id,)).fetchone()
        if stored == runs:
            progress(f"mlflow-sqlite: experiment {experiment_id} already holds {runs:,} runs; seed skipped")
            return str(experiment_id)
        began = time.monotonic()
        _clear_mlflow_runs(connection, experiment_id)
        for first in range(0, runs, 10 * _SEED_CHUNK):
            _insert_mlflow_runs(connection, experiment_id, range(first, min(runs, first + 10 * _SEED_CHUNK)))
            done = min(runs, first + 10 * _SEED_CHUNK)
            progress(f"    seeding mlflow-sqlite: {done:,}/{runs:,} runs ({done / (time.monotonic() - began):,.0f}/s)")
    return str(experiment_id)


def _clear_mlflow_runs(connection: sqlite3.Connection, experiment_id: str) -> None:
    owned = "run_uuid IN (SELECT run_uuid FROM runs WHERE experiment_id = ?)"
    for table in ("metrics", "latest_metrics", "params", "tags"):
        connection.execute(f"DELETE FROM {table} WHERE {owned}", (experiment_id,))
    connection.execute("DELETE FROM runs WHERE experiment_id = ?", (experiment_id,))


def _insert_mlflow_runs(connection: sqlite3.Connection, experiment_id: str, indexes: range) -> None:
    rows: dict[str, list[tuple[Any, ...]]] = {"runs": [], "metrics": [], "latest_metrics": [], "params": [], "tags": []}
    for index in indexes:
        identifier, started = run_id(index), start_time(index)
        rows["runs"].append(
            (identifier, f"run-{index}", "LOCAL", "train.py", "", "bench", "FINISHED", started, started + 60_000,
             "", "active", f"mlflow-artifacts:/{experiment_id}/{identifier}/artifacts", experiment_id, None)
        )  # fmt: skip
        for k, value in enumerate(metric_values(index)):
            rows["metrics"].append((f"m{k}", value, started, identifier, 0, 0))
            rows["latest_metrics"].append((f"m{k}", value, started, 0, 0, identifier))
        rows["params"] += [(key, value, identifier) for key, value in params(index).items()]
        rows["tags"] += [(key, value, identifier) for key, value in tags(index).items()]
    columns = {
        "runs": "run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, "
        "source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time",
        "metrics": "key, value, timestamp, run_uuid, step, is_nan",
        "latest_metrics": "key, value, timestamp, step, is_nan, run_uuid",
        "params": "key, value, run_uuid",
        "tags": "key, value, run_uuid",
    }
    for table, values in rows.items():
        marks = ", ".join("?" * len(values[0]))
        connection.executemany(f"INSERT INTO {table} ({columns[table]}) VALUES ({marks})", values)
    connection.commit()


# The phases, each answer checked.
Phase = tuple[str, str, Callable[[Context, str, int], Measurement]]


def _ids(response: dict[str, Any]) -> list[str]:
    return [run["info"]["run_id"] for run in response.get("runs", [])]


def _check(found: list[str], expected: list[str], what: str) -> None:
    if found != expected:
        first = next((i for i, (a, b) in enumerate(zip(found, expected, strict=False)) if a != b), None)
        raise AssertionError(
            f"{what}: {len(found)} runs, expected {len(expected)}; first difference at position {first}"
        )


def _timed(op: Callable[[], None], ops: int, repetitions: int) -> Measurement:
    def prepare(_client: int) -> Callable[[int], None]:
        op()  # untimed: warms the path, and checks the answer once more
        return lambda _seq: op()

    return measure(prepare, 1, ops, repetitions)


def first_page(limit: int) -> Callable[[Context, str, int], Measurement]:
    def phase(ctx: Context, experiment_id: str, runs: int) -> Measurement:
        rest, expected = ctx.client(), newest(runs, limit)
        return _timed(lambda: _check(_ids(rest.search_runs([experiment_id], limit)), expected, "first page"), 3, 3)

    return phase


def metric_filter(limit: int) -> Callable[[Context, str, int], Measurement]:
    def phase(ctx: Context, experiment_id: str, runs: int) -> Measurement:
        rest, expected = ctx.client(), newest(runs, limit, metric_filtered)

        def op() -> None:
            found = _ids(rest.search_runs([experiment_id], limit, METRIC_FILTER, BY_START_TIME))
            _check(found, expected, "metric filter by start_time")

        return _timed(op, 3, 3)

    return phase


def filter_order_by_metric(ctx: Context, experiment_id: str, runs: int) -> Measurement:
    """Reads every summary on trackway (minutes at 100,000 runs): a long client timeout, no warm-up request."""
    rest, expected = MlflowRest(ctx.url, timeout=_SLOW_TIMEOUT), by_metric(runs, 100)

    def op(_seq: int) -> None:
        _check(_ids(rest.search_runs([experiment_id], 100, FILTER, ORDER_BY)), expected, "filter + order_by metric")

    try:
        return measure(lambda _client: op, 1, 1, 3)
    finally:
        rest.close()


def mlflow_client(ctx: Context, experiment_id: str, runs: int) -> Measurement:
    from mlflow import MlflowClient

    client, expected = MlflowClient(tracking_uri=ctx.url), newest(runs, 1000)

    def op() -> None:
        found = [run.info.run_id for run in client.search_runs([experiment_id], max_results=1000)]
        _check(found, expected, "MlflowClient.search_runs")

    return _timed(op, 3, 3)


PHASES: list[Phase] = [
    ("first_page_1000", "first page of 1,000, default order (start_time DESC)", first_page(1000)),
    ("first_page_100", "first page of 100, default order", first_page(100)),
    ("metric_filter_1000", f"`{METRIC_FILTER}` by start_time DESC, 1,000", metric_filter(1000)),
    ("metric_filter_100", f"`{METRIC_FILTER}` by start_time DESC, 100", metric_filter(100)),
    ("filter_order_by_metric_100", f"`{FILTER}` order_by `{ORDER_BY[0]}`, 100", filter_order_by_metric),
    ("mlflow_client_first_page_1000", "`MlflowClient().search_runs`, first 1,000", mlflow_client),
]


def api_count(ctx: Context, experiment_id: str) -> int:
    """Every run of the experiment, paged through the API (distinct run ids)."""
    rest, seen, token = ctx.client(), set[str](), None
    for _ in range(1_000):
        page = rest.search_runs([experiment_id], _CHECK_PAGE, page_token=token)
        seen.update(_ids(page))
        token = page.get("next_page_token")
        if not token:
            break
    return len(seen)


def measure_target(
    name: str, server: AbstractContextManager[targets.Target], experiment_id: str, args: argparse.Namespace
) -> dict[str, Any]:
    result: dict[str, Any] = {"experiment_id": experiment_id, "phases": {}}
    began = time.monotonic()
    with server as target:
        print(f"== {name}: up at {target.url} in {time.monotonic() - began:.0f} s", flush=True)
        ctx = Context(name, target.url, FULL, "search-scale", args.data_dir)
        try:
            if name != "trackway":  # the seed's SQL count checked it; mlflow's offset paging over 100,000 is minutes
                return measure_phases(ctx, experiment_id, args, result)
            counted_at = time.monotonic()
            result["api_count"] = api_count(ctx, experiment_id)
            result["api_count_s"] = round(time.monotonic() - counted_at, 1)
            print(f"   {name}: {result['api_count']:,} runs through the API ({result['api_count_s']} s)", flush=True)
            if result["api_count"] != args.runs:
                result["wrong"] = f"the API counts {result['api_count']:,} runs, the seed wrote {args.runs:,}"
                print(f"   {name}: WRONG {result['wrong']}", flush=True)
                return result
            return measure_phases(ctx, experiment_id, args, result)
        finally:
            ctx.close()


def measure_phases(
    ctx: Context, experiment_id: str, args: argparse.Namespace, result: dict[str, Any]
) -> dict[str, Any]:
    for key, _title, phase in PHASES:
        if args.phases and not any(key.startswith(p) for p in args.phases.split(",")):
            continue
        result["phases"][key] = run_workload(ctx, key, lambda c, phase=phase: phase(c, experiment_id, args.runs))
    return result


@contextmanager
def _trackway(data_dir: Path) -> Iterator[targets.Target]:
    from trackway_backend.local.process import StackProcess

    with StackProcess(data_dir / "trackway") as stack:
        yield targets.Target("trackway", stack.url, "trackway local stack (DynamoDB Local + s3rver + handlers)")


# In process: where the first page's time goes.
def breakdown(data_dir: Path, runs: int) -> dict[str, Any]:
    from bench.breakdown import DynamoTimer, timed
    from trackway_backend.adapters.dynamo import batch
    from trackway_backend.adapters.dynamo.index_order import IndexRange, merged_keys
    from trackway_backend.adapters.dynamo.tracking_items import RunItem
    from trackway_backend.adapters.dynamo.tracking_mapping import run_from_item
    from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
    from trackway_backend.domain import ViewType
    from trackway_backend.local.server import local_engines
    from trackway_backend.logic import runs as run_logic
    from trackway_backend.settings import TrackingSettings
    from trackway_backend.wire import tracking_responses as view

    with local_engines(data_dir / "trackway"):
        settings = TrackingSettings.from_env()
        store = DynamoTrackingStore(settings.run_index_shards)
        experiment_id = store.find_experiment_id(experiment_name(runs))
        if experiment_id is None:
            raise RuntimeError("no seeded experiment: run without --breakdown first")
        partitions = [f"RUNS#{experiment_id}#{shard}" for shard in range(settings.run_index_shards)]
        limit = 1001
        per_partition = max(4, 2 * -(-limit // len(partitions)))

        def index_keys() -> list[tuple[str, str]]:
            where = IndexRange("gsi1", True, None, per_partition)
            keys = merged_keys(RunItem, partitions, where, store.policy, [0])
            return [(pk, sk) for _, pk, sk in (next(keys) for _ in range(limit))]

        keys = index_keys()
        items = batch.get_all(RunItem, keys, store.policy)

        def search() -> None:
            page = run_logic.search(store, [experiment_id], None, ViewType.ACTIVE_ONLY, 1000, [], None)
            _check([run.run_id for run in page.items], newest(runs, 1000), "in-process search")

        decoded = [run_from_item(item) for item in items[:1000]]

        def respond() -> str:
            return json.dumps(view.paged("runs", [view.run(run) for run in decoded], "token"))

        steps: dict[str, Callable[[], object]] = {
            "index_queries_first_1001_keys": index_keys,
            "batch_get_1001_summaries": lambda: batch.get_all(RunItem, keys, store.policy),
            "decode_1001_summaries": lambda: [run_from_item(item) for item in items],
            "response_json_1000_runs": respond,
            "runs_search_first_page_1000": search,
        }
        results: dict[str, Any] = {}
        with DynamoTimer().installed() as timer:
            for name, step in steps.items():
                step()  # warm
                results[name] = timed(timer, step)
                print(f"   {name:<32} {results[name]}", flush=True)
        return results


def markdown(results: dict[str, Any]) -> str:
    names = list(results["targets"])
    header = "| phase | " + " | ".join(f"{n} p50 (ms)" for n in names)
    header += " | vs 2 s |" if "trackway" in names else " |"
    if {"trackway", "mlflow-sqlite"} <= set(names):
        header += " trackway ÷ mlflow |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for key, title, _ in PHASES:
        cells = [_cell(results["targets"][n]["phases"].get(key)) for n in names]
        row = f"| {title} | " + " | ".join(cells) + " |"
        ours = results["targets"].get("trackway", {}).get("phases", {}).get(key, {})
        if "trackway" in names:
            row += f" {_verdict(ours)} |"
        if {"trackway", "mlflow-sqlite"} <= set(names):
            theirs = results["targets"]["mlflow-sqlite"]["phases"].get(key, {})
            ratio = ours.get("p50_ms", 0) / theirs["p50_ms"] if ours.get("p50_ms") and theirs.get("p50_ms") else None
            row += f" {ratio:.2f} |" if ratio else " — |"
        lines.append(row)
    return "\n".join(lines)


def _verdict(result: dict[str, Any]) -> str:
    if "p50_ms" not in result:
        return "—"
    return "within" if result["p50_ms"] <= TARGET_SECONDS * 1000 else "MISSED"


def _cell(result: dict[str, Any] | None) -> str:
    if not result:
        return "—"
    if "wrong" in result:
        return "WRONG"
    if "p50_ms" not in result:
        return "error"
    runs = ", ".join(f"{r['p50_ms']:,.0f}" for r in result["per_repetition"])
    return f"{result['p50_ms']:,.0f} ({runs})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search_scale", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tmpfs() or tempfile.gettempdir()) / "trackway-search-scale"
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--targets", default="trackway", help="trackway and/or mlflow-sqlite, comma-separated")
    parser.add_argument("--phases", default="", help="only phases whose key starts with one of these (a,b,…)")
    parser.add_argument("--breakdown", action="store_true", help="in process: where the first page's time goes")
    parser.add_argument("--out", type=Path, default=OUT / "search_scale.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    args.data_dir = args.data_dir.resolve()
    if args.breakdown:
        print(json.dumps(breakdown(args.data_dir, args.runs), indent=2))
        return 0
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "runs": args.runs,
        "machine": machine.facts(),
        "load": {"before": machine.load_average()},
        "targets": {},
    }
    for name in args.targets.split(","):
        began = time.monotonic()
        if name == "trackway":
            experiment_id = seed_trackway(args.data_dir / "trackway", args.runs)
            server: AbstractContextManager[targets.Target] = _trackway(args.data_dir)
        elif name == "mlflow-sqlite":
            db = args.data_dir / "mlflow-sqlite" / "mlflow.db"
            experiment_id = seed_mlflow_sqlite(db, args.runs)
            server = targets.mlflow_server(name, f"sqlite:///{db}", args.data_dir, "mlflow server, sqlite backend")
        else:
            parser.error(f"unknown target {name}")
        print(f"== {name}: seeded in {time.monotonic() - began:.0f} s", flush=True)
        results["targets"][name] = measure_target(name, server, experiment_id, args)
        results["load"]["after"] = machine.load_average()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"load average before {results['load']['before']}, after {results['load']['after']}; wrote {args.out}")
    return 0


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
