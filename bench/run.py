"""`make bench`: trackway's local stack against `mlflow server` (sqlite; PostgreSQL when installed).

The same workloads run against each server through the same HTTP client (bench/rest.py), each repeated;
the report quotes medians across repetitions. Writes bench/out/results.json and bench/out/results.md.

    .venv/bin/python -m bench.run            # full run (< 20 min on 2 cores)
    .venv/bin/python -m bench.run --quick    # smoke run (~2 min): tiny sizes, same code paths
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from bench import cold_start, machine, postgres, report, targets, warmup
from bench.catalog import catalog
from bench.context import Context, NotServed
from bench.sizes import FULL, QUICK, Sizes
from bench.timing import stopping

OUT = Path(__file__).with_name("out")
TargetFactory = Callable[[Path], AbstractContextManager[targets.Target]]


def target_factories(names: list[str], skipped: dict[str, str]) -> list[tuple[str, TargetFactory]]:
    factories: dict[str, TargetFactory] = {
        "trackway": targets.trackway,
        "mlflow-sqlite": lambda work: targets.mlflow_server(
            "mlflow-sqlite", f"sqlite:///{work / 'mlflow-sqlite.db'}", work, "mlflow server, sqlite backend"
        ),
        "mlflow-postgres": _mlflow_postgres,
    }
    chosen = []
    for name in names:
        if name == "mlflow-postgres" and (reason := postgres.unavailable_reason()):
            print(f"skipping mlflow-postgres: {reason}", flush=True)
            skipped[name] = reason
            continue
        chosen.append((name, factories[name]))
    return chosen


@contextmanager
def _mlflow_postgres(work: Path) -> Iterator[targets.Target]:
    """A PostgreSQL cluster and an mlflow server on it, stopped in reverse order."""
    with (
        postgres.cluster(work) as url,
        targets.mlflow_server("mlflow-postgres", url, work, "mlflow server, PostgreSQL") as target,
    ):
        yield target


def run_target(
    name: str, factory: TargetFactory, sizes: Sizes, work: Path, label: str, args: argparse.Namespace
) -> dict[str, Any]:
    print(f"== {name}: starting", flush=True)
    started = time.monotonic()
    with factory(work) as target:
        print(f"== {name}: up at {target.url} in {time.monotonic() - started:.0f} s", flush=True)
        result: dict[str, Any] = {"description": target.description, "startup_s": round(time.monotonic() - started)}
        ctx = Context(name, target.url, sizes, label, work, new_connections=args.new_connections)
        result["connection_probe"] = warmup.connection_probe(target.url)
        print(f"   {name}: GET /health {result['connection_probe']}", flush=True)
        result["warm_up_requests"] = warmup.warm_up(ctx, sizes.warm_up_seconds)
        print(f"   {name}: warmed up with {result['warm_up_requests']} untimed requests", flush=True)
        result["workloads"] = {}
        try:
            for workload in catalog(ctx):
                if args.workloads and not any(workload.key.startswith(p) for p in args.workloads.split(",")):
                    continue
                result["workloads"][workload.key] = run_workload(ctx, workload.key, workload.run)
        finally:
            ctx.close()
    return result


def run_workload(ctx: Context, key: str, action: Callable[[Context], Any]) -> dict[str, Any]:
    began = time.monotonic()
    try:
        summary: dict[str, Any] = action(ctx).summary()
        line = f"p50 {summary['p50_ms']:.1f} ms, p95 {summary['p95_ms']:.1f} ms, {summary['ops_per_s']:.1f} ops/s"
    except NotServed as reason:
        summary, line = {"not_measured": str(reason)}, f"not measured: {reason}"
    except AssertionError as wrong:  # a workload's answer check failed: its time means nothing
        summary, line = {"wrong": str(wrong)[:500]}, f"WRONG {wrong}"
    except Exception as error:  # one broken workload must not hide the others' results
        traceback.print_exc()
        summary, line = {"error": f"{type(error).__name__}: {error}"[:500]}, f"ERROR {error}"
    summary["elapsed_s"] = round(time.monotonic() - began, 1)
    print(f"   {ctx.target:<16} {key:<26} {line} [{summary['elapsed_s']:.0f} s]", flush=True)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test of every code path")
    parser.add_argument("--targets", default="trackway,mlflow-sqlite,mlflow-postgres")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--no-cold-start", action="store_true", help="skip the handler import-time measurement")
    parser.add_argument("--on-disk", action="store_true", help="keep server data on disk instead of tmpfs")
    parser.add_argument("--workloads", default="", help="only workloads whose key starts with one of these (a,b,…)")
    parser.add_argument(
        "--new-connections", action="store_true", help="diagnostic: a new TCP connection per request (no keep-alive)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    sizes = QUICK if args.quick else FULL
    if args.quick and args.out == OUT:
        args.out = OUT / "quick"  # a smoke run never overwrites the full results
    began = time.monotonic()
    skipped: dict[str, str] = {}
    label = f"bench-{int(time.time())}"
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if args.quick else "full",
        "sizes": asdict(sizes),
        "machine": machine.facts(),
        "load": {"before": machine.load_average()},
        "targets": {},
        "skipped_targets": skipped,
        "titles": {w.key: w.title for w in catalog(Context("", "", sizes, label, Path()))},
        "new_connections": args.new_connections,
    }
    work = Path(tempfile.mkdtemp(prefix="trackway-bench-", dir=None if args.on_disk else tmpfs()))
    results["storage"] = f"{'tmpfs' if tmpfs() and not args.on_disk else 'disk'} ({work.parent})"
    print(f"server data under {work} ({results['storage']})", flush=True)
    try:
        for name, factory in target_factories(args.targets.split(","), skipped):
            try:
                results["targets"][name] = run_target(name, factory, sizes, work, label, args)
            except Exception as error:  # a server that cannot start is reported, the others still run
                traceback.print_exc()
                skipped[name] = f"could not run: {type(error).__name__}: {str(error)[:300]}"
            _write(results, args.out)
        if not args.no_cold_start:
            print("== cold start: handler import time vs `import boto3`", flush=True)
            results["cold_start"] = cold_start.main(repeats=1 if args.quick else 5)
    except KeyboardInterrupt:
        stopping.set()
        print("interrupted: stopping the servers and removing temp data", file=sys.stderr, flush=True)
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load"]["after"] = machine.load_average()
    results["duration_s"] = round(time.monotonic() - began)
    _write(results, args.out)
    print(report.markdown(results))
    print(f"wrote {args.out / 'results.json'} and results.md in {results['duration_s']} s", flush=True)
    return 0


def _write(results: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    if results["targets"]:
        (out / "results.md").write_text(report.markdown(results))


def tmpfs() -> str | None:
    """/dev/shm when it is a writable tmpfs: every server's data lives in RAM, so the comparison measures the
    servers rather than the shared disk's fsync latency (DynamoDB Local syncs each item it writes)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
