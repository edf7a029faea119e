"""The workloads of issue 8, in the order they run against each target."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bench import artifact_workloads, registry_workloads, search_workloads, tracking_workloads
from bench.artifact_workloads import ArtifactData
from bench.context import Context
from bench.search_workloads import SearchData
from bench.timing import Measurement


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    run: Callable[[Context], Measurement]


def catalog(ctx: Context) -> list[Workload]:
    search = SearchData(ctx)
    artifacts = ArtifactData(ctx)
    s = ctx.sizes
    return [
        Workload("create_run", "create run", tracking_workloads.create_run),
        Workload("log_batch_10", "log-batch, 10 metrics", tracking_workloads.log_batch_10),
        Workload("log_batch_500", "log-batch, 500 metrics", tracking_workloads.log_batch_500),
        Workload("log_batch_mixed", "log-batch, 10 metrics + 5 params + 5 tags", tracking_workloads.log_batch_mixed),
        Workload(
            "log_metrics_step", "log_metrics per step: log-batch of 50 metrics", tracking_workloads.log_metrics_step
        ),
        Workload("log_metric_point", "log_metric per point (5 keys a step)", tracking_workloads.log_metric_point),
        Workload("get_run", "get run (50 metrics, 20 params, 14 tags)", tracking_workloads.get_run),
        Workload(
            "metric_history", f"get-history, {s.history_points:,}-point metric", tracking_workloads.metric_history
        ),
        Workload(
            "search_runs_unfiltered",
            f"search_runs, {s.search_runs:,} runs, unfiltered, first {s.page_size:,}",
            lambda c: search_workloads.search_runs_unfiltered(c, search),
        ),
        Workload(
            "search_runs_filtered",
            f"search_runs, {s.search_runs:,} runs, metric+param filter, order_by, 100",
            lambda c: search_workloads.search_runs_filtered(c, search),
        ),
        Workload(
            "search_runs_paging",
            f"search_runs, page through all {s.search_runs:,} runs ({s.page_size:,}/page)",
            lambda c: search_workloads.search_runs_paging(c, search),
        ),
        Workload(
            "search_experiments",
            f"search_experiments over {s.experiments:,}+ experiments",
            search_workloads.search_experiments,
        ),
        Workload("registry_create_version", "registry: create model version", registry_workloads.create_version),
        Workload("registry_move_alias", "registry: move an alias", registry_workloads.move_alias),
        Workload(
            "registry_load_by_alias",
            "registry: load by alias (get alias + get-download-uri)",
            registry_workloads.load_by_alias,
        ),
        Workload(
            "artifact_upload",
            f"artifact upload, {s.artifact_mb} MB",
            lambda c: artifact_workloads.upload(c, artifacts),
        ),
        Workload(
            "artifact_download",
            f"artifact download, {s.artifact_mb} MB",
            lambda c: artifact_workloads.download(c, artifacts),
        ),
    ]
