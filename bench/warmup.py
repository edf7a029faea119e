"""Untimed warm-up and a connection probe, run on each server before its workloads.

Warm-up: the first few hundred requests of a fresh server are slow for reasons a long-running deployment
never sees (the DynamoDB Local JVM compiling its hot paths, uvicorn workers importing lazily, SQL
statement caches), so every server gets the same untimed mix first.

Connection probe: the latency floor of one tiny request on a kept-alive connection (what the mlflow
client and the benchmark use) against a new connection per request. mlflow server answers kept-alive
requests with the headers and the body in two TCP segments, and the second waits for the client's
delayed ACK (~40 ms on Linux); that floor is part of what its users get, so the workloads keep
keep-alive, and the probe makes the floor visible in the report.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import requests

from bench.context import Context, metrics
from bench.tracking_workloads import FIVE_HUNDRED_KEYS, TEN_KEYS


def warm_up(ctx: Context, seconds: float) -> int:
    """Repeat a mix of writes and reads on `clients` threads for about `seconds`; returns requests made."""
    ctx.experiment_id  # noqa: B018 - created once, before the threads share it
    deadline = time.monotonic() + seconds
    done = [0] * ctx.sizes.clients

    def mix(rest: Any, worker: int) -> None:
        for round_number in range(1000):
            if time.monotonic() > deadline:
                return
            run_id = ctx.new_run(rest)
            keys = FIVE_HUNDRED_KEYS if round_number == 0 else TEN_KEYS  # the wide batch once: it is slow
            rest.log_batch(run_id, metrics(keys, 0), {f"p{round_number}": "v"}, {"t": "v"})
            for step in range(1, 5):
                rest.log_batch(run_id, metrics(TEN_KEYS, step))
            rest.get_run(run_id)
            rest.search_runs([ctx.experiment_id], 100)
            done[worker] += 8

    ctx.parallel(mix, ctx.sizes.clients, "warm-up clients done", workers=ctx.sizes.clients)
    return sum(done)


def connection_probe(url: str, samples: int = 20) -> dict[str, float]:
    """Median ms of GET /health over one kept-alive connection, and over a new connection each time."""
    with requests.Session() as session:
        session.get(f"{url}/health", timeout=30)
        kept = _median_ms(lambda: session.get(f"{url}/health", timeout=30), samples)
    fresh = _median_ms(lambda: requests.get(f"{url}/health", timeout=30, headers={"Connection": "close"}), samples)
    return {"keep_alive_ms": kept, "new_connection_ms": fresh}


def _median_ms(action: Any, samples: int) -> float:
    timings = []
    for _ in range(samples):
        began = time.perf_counter()
        action()
        timings.append(time.perf_counter() - began)
    return round(statistics.median(timings) * 1000, 2)
