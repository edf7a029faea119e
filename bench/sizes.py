"""How big each workload is: the full run (`make bench`, < 20 min on 2 cores) and a smoke run (`--quick`)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Sizes:
    repetitions: int = 3
    clients: int = 8  # concurrent clients for the write workloads (each logs to its own run)
    heavy_clients: int = 2  # for the heavy phases (500-key log-batch)
    create_run_ops: int = 10  # per client and repetition
    log_batch_10_ops: int = 15
    log_batch_500_ops: int = 3
    mixed_ops: int = 10
    log_metrics_ops: int = 15  # steps of 50 metrics per client
    log_metric_steps: int = 4  # steps of 5 single-point log-metric calls per client
    get_run_ops: int = 40
    history_points: int = 20_000
    history_ops: int = 5
    search_runs: int = 5_000
    search_ops: int = 5
    paging_ops: int = 2
    page_size: int = 1_000
    experiments: int = 500
    search_experiments_ops: int = 10
    registry_ops: int = 15
    artifact_mb: int = 200
    seed_clients: int = 8
    warm_up_seconds: float = 12


FULL = Sizes()

QUICK = Sizes(
    repetitions=2,  # two still exercise the medians and the spread across repetitions
    clients=2,
    heavy_clients=2,
    create_run_ops=3,
    log_batch_10_ops=3,
    log_batch_500_ops=2,
    mixed_ops=3,
    log_metrics_ops=3,
    log_metric_steps=2,
    get_run_ops=5,
    history_points=2_000,
    history_ops=2,
    search_runs=60,
    search_ops=2,
    paging_ops=1,
    page_size=25,
    experiments=12,
    search_experiments_ops=2,
    registry_ops=3,
    artifact_mb=5,
    seed_clients=4,
    warm_up_seconds=2,
)
