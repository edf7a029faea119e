"""Latency and throughput of one workload: concurrent clients, repeated; medians across repetitions."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

Op = Callable[[int], object]
"""One timed operation; receives its sequence number within the client."""

Prepare = Callable[[int], Op]
"""Untimed per-client setup (e.g. create the client's run); receives the client index, returns its op."""

stopping = threading.Event()
"""Set on Ctrl-C / SIGTERM: clients stop after their current request, so shutdown is prompt."""


@dataclass
class Repetition:
    latencies: list[float]
    wall_seconds: float

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=20, method="inclusive")[18] * 1000

    @property
    def ops_per_second(self) -> float:
        return len(self.latencies) / self.wall_seconds if self.wall_seconds else 0.0


@dataclass
class Measurement:
    clients: int
    ops_per_repetition: int
    repetitions: list[Repetition] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Medians across repetitions of each repetition's p50, p95 and throughput."""
        return {
            "clients": self.clients,
            "ops_per_repetition": self.ops_per_repetition,
            "repetitions": len(self.repetitions),
            "p50_ms": round(statistics.median(r.p50_ms for r in self.repetitions), 2),
            "p95_ms": round(statistics.median(r.p95_ms for r in self.repetitions), 2),
            "ops_per_s": round(statistics.median(r.ops_per_second for r in self.repetitions), 2),
            "per_repetition": [
                {"p50_ms": round(r.p50_ms, 2), "p95_ms": round(r.p95_ms, 2), "ops_per_s": round(r.ops_per_second, 2)}
                for r in self.repetitions
            ],
        }


def run_clients(prepare: Prepare, clients: int, ops_per_client: int) -> Repetition:
    """Each client prepares untimed, then all start together and run their ops back to back."""
    start = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]

    def client(index: int) -> float:
        try:
            op = prepare(index)
        except BaseException:
            start.abort()
            raise
        start.wait()
        for sequence in range(ops_per_client):
            if stopping.is_set():
                break
            began = time.perf_counter()
            op(sequence)
            latencies[index].append(time.perf_counter() - began)
        return time.perf_counter()

    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix="bench-client") as pool:
        futures = [pool.submit(client, index) for index in range(clients)]
        try:
            start.wait(timeout=600)
            began = time.perf_counter()
            ended = max(future.result() for future in futures)
        except threading.BrokenBarrierError:
            errors = [future.exception() for future in futures]
            cause = next((e for e in errors if e and not isinstance(e, threading.BrokenBarrierError)), None)
            raise cause or RuntimeError("a benchmark client failed to prepare") from None
        except KeyboardInterrupt:
            stopping.set()
            start.abort()
            raise
    return Repetition([sample for samples in latencies for sample in samples], ended - began)


def measure(prepare: Prepare, clients: int, ops_per_client: int, repetitions: int) -> Measurement:
    measurement = Measurement(clients, clients * ops_per_client)
    for _ in range(repetitions):
        measurement.repetitions.append(run_clients(prepare, clients, ops_per_client))
    return measurement
