"""Requests per second of the local stack at N concurrent clients, each answer checked.

    .venv/bin/python -m bench.throughput [--clients 8] [--seconds 10] [--repeats 3] [--url URL]

Each client is its own process (its own GIL and keep-alive session), so the figure measures the server.
Phases: `create_run` (the answer must carry the run name and tags this client asked for), `get_run` (the
answer must be the run asked for), and `log_batch` of 10 metrics (afterwards every point must be in the
history exactly once). A phase with any wrong answer or error is reported as WRONG, never as a rate.
Without --url it starts a local stack in a temporary directory and stops it afterwards.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.rest import MlflowRest

_API = "/api/2.0/mlflow"
PHASES = ("create_run", "get_run", "log_batch")


def _create_run(rest: MlflowRest, experiment_id: str, client: int, i: int) -> str | None:
    name = f"c{client}-r{i}-{uuid.uuid4().hex[:6]}"
    body = {
        "experiment_id": experiment_id,
        "run_name": name,
        "start_time": 1_700_000_000_000 + i,
        "tags": [{"key": "client", "value": str(client)}],
    }
    run = rest.call("POST", f"{_API}/runs/create", body)["run"]
    tags = {tag["key"]: tag["value"] for tag in run["data"].get("tags", [])}
    if run["info"]["run_name"] != name or tags.get("client") != str(client):
        return f"asked for {name}, got {run['info']['run_name']} (client tag {tags.get('client')})"
    return None


def _worker(
    url: str, phase: str, experiment_id: str, run_ids: list[str], client: int, seconds: float
) -> dict[str, Any]:
    rest = MlflowRest(url, timeout=60)
    done, wrong, errors, logged = 0, [], 0, 0
    my_run = run_ids[client % len(run_ids)]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if phase == "create_run":
                if problem := _create_run(rest, experiment_id, client, done):
                    wrong.append(problem)
            elif phase == "get_run":
                wanted = run_ids[done % len(run_ids)]
                got = rest.get_run(wanted)["info"]["run_id"]
                if got != wanted:
                    wrong.append(f"asked for run {wanted}, got {got}")
            else:
                metrics = [
                    {"key": f"m{k}", "value": float(done), "timestamp": 1_700_000_000_000 + done, "step": done}
                    for k in range(10)
                ]
                rest.log_batch(my_run, metrics=metrics)
                logged += 1
            done += 1
        except Exception as error:  # counted, and the phase is then WRONG
            errors += 1
            wrong.append(f"{type(error).__name__}: {str(error)[:200]}")
    rest.close()
    return {"done": done, "wrong": wrong[:5], "errors": errors, "logged": logged, "run_id": my_run}


def _check_history(url: str, results: list[dict[str, Any]]) -> list[str]:
    """Every client's log_batch steps 0..n-1 must be in its run's history exactly once, for every key."""
    rest = MlflowRest(url)
    expected: dict[str, int] = {}
    for result in results:
        expected[result["run_id"]] = expected.get(result["run_id"], 0) + result["logged"]
    problems = []
    for run_id, count in expected.items():
        for key in ("m0", "m9"):
            stored = rest.metric_history(run_id, key)
            if stored != count:
                problems.append(f"run {run_id} metric {key}: {stored} points stored, {count} logged")
    rest.close()
    return problems


def run_phase(url: str, phase: str, clients: int, seconds: float) -> dict[str, Any]:
    rest = MlflowRest(url)
    experiment_id = rest.create_experiment(f"throughput-{phase}-{uuid.uuid4().hex[:8]}")
    run_ids = [rest.create_run(experiment_id, 1_700_000_000_000) for _ in range(clients)]
    rest.close()
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.starmap(
            _worker, [(url, phase, experiment_id, run_ids, client, seconds) for client in range(clients)]
        )
    elapsed = time.monotonic() - started
    wrong = [problem for result in results for problem in result["wrong"]]
    if phase == "log_batch":
        wrong += _check_history(url, results)
    total = sum(result["done"] for result in results)
    return {"phase": phase, "requests": total, "rate": total / seconds, "elapsed": elapsed, "wrong": wrong}


def measure(url: str, clients: int, seconds: float, repeats: int, say: Callable[[str], None]) -> dict[str, Any]:
    rates: dict[str, list[float]] = {phase: [] for phase in PHASES}
    wrong: dict[str, list[str]] = {phase: [] for phase in PHASES}
    for repeat in range(repeats):
        for phase in PHASES:
            result = run_phase(url, phase, clients, seconds)
            rates[phase].append(result["rate"])
            wrong[phase] += result["wrong"]
            verdict = "WRONG" if result["wrong"] else f"{result['rate']:.0f} req/s"
            say(f"repeat {repeat + 1}/{repeats} {phase:<10} {verdict} ({result['requests']} requests)")
    return {
        phase: {"median_rate": statistics.median(rates[phase]), "rates": rates[phase], "wrong": wrong[phase][:10]}
        for phase in PHASES
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.throughput", description=__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--url", help="a running stack; default: start one")
    args = parser.parse_args(argv)

    def say(line: str) -> None:
        print(line, flush=True)

    if args.url:
        summary = measure(args.url, args.clients, args.seconds, args.repeats, say)
    else:
        from trackway_backend.local.process import StackProcess

        with tempfile.TemporaryDirectory() as work, StackProcess(Path(work)) as stack:
            summary = measure(stack.url, args.clients, args.seconds, args.repeats, say)
    failed = False
    for phase, figures in summary.items():
        if figures["wrong"]:
            failed = True
            say(f"{phase:<10} WRONG: {figures['wrong'][:3]}")
        else:
            say(f"{phase:<10} median {figures['median_rate']:.0f} req/s at {args.clients} clients")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
