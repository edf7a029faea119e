"""What a workload gets: the target's URL, the sizes, fresh HTTP clients, and helpers to seed data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from bench.rest import MlflowRest, RestError
from bench.sizes import Sizes
from bench.timing import stopping

# What the mlflow client puts on every run it creates.
RUN_TAGS = {
    "mlflow.user": "bench",
    "mlflow.source.name": "train.py",
    "mlflow.source.type": "LOCAL",
    "mlflow.source.git.commit": "3f2c9a1d5e7b8c4f0a6d2e9b1c3f5a7d9e0b2c4f",
}


class NotServed(Exception):
    """The target does not serve a route the workload needs: reported, never faked."""


def now_ms() -> int:
    return int(time.time() * 1000)


def metrics(keys: Iterable[str], step: int, value: float = 0.5) -> list[dict[str, Any]]:
    timestamp = now_ms()
    return [{"key": key, "value": value, "timestamp": timestamp, "step": step} for key in keys]


@dataclass
class Context:
    target: str
    url: str
    sizes: Sizes
    label: str  # unique per benchmark run, so names never collide with earlier data
    work: Path  # scratch space, deleted at exit
    progress: Callable[[str], None] = print
    new_connections: bool = False  # see MlflowRest
    _clients: list[MlflowRest] = field(default_factory=list)

    def client(self) -> MlflowRest:
        rest = MlflowRest(self.url, new_connections=self.new_connections)
        self._clients.append(rest)
        return rest

    def close(self) -> None:
        for rest in self._clients:
            rest.close()
        self._clients.clear()

    @cached_property
    def experiment_id(self) -> str:
        """The experiment the tracking workloads log to."""
        return self.client().create_experiment(f"{self.label}-tracking")

    def new_run(self, rest: MlflowRest, experiment_id: str | None = None) -> str:
        return rest.create_run(experiment_id or self.experiment_id, now_ms(), RUN_TAGS)

    def parallel(
        self, action: Callable[[MlflowRest, int], object], count: int, what: str, workers: int | None = None
    ) -> None:
        """Run `action(client, i)` for i in range(count) on `workers` threads (default `seed_clients`)."""
        workers = workers or self.sizes.seed_clients
        clients = [self.client() for _ in range(workers)]
        started, step = time.monotonic(), max(1, count // 5)

        def work(worker: int) -> None:
            for index in range(worker, count, workers):
                if stopping.is_set():
                    return
                action(clients[worker], index)
                if index % step == step - 1:
                    self.progress(f"    seeding {what}: {index + 1}/{count} ({time.monotonic() - started:.0f} s)")

        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bench-seed") as pool:
            try:
                for future in [pool.submit(work, worker) for worker in range(workers)]:
                    future.result()
            except KeyboardInterrupt:
                stopping.set()
                raise


def served(action: Callable[[], object], route: str, probe: bool = False) -> None:
    """Run a first call on a route that may not exist yet; NotServed if it does not.

    A route exists when it answers with anything but a 5xx or a bare 404 (an MLflow 404 carries an
    `error_code`). With `probe`, an MLflow-style 4xx counts as served and is not raised.
    """
    try:
        action()
    except RestError as error:
        if error.status >= 500 or (error.status in (404, 405) and "error_code" not in error.body):
            raise NotServed(f"{route} not served (HTTP {error.status}: {error.body[:120]})") from error
        if not probe:
            raise
