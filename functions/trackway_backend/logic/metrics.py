"""Metric history use cases."""

from __future__ import annotations

from trackway_backend.domain import Metric, Page
from trackway_backend.errors import InvalidParameter
from trackway_backend.logic import validation
from trackway_backend.ports import TrackingStore

MAX_HISTORY_PAGE = 25_000
MAX_BULK_RUNS = 100
MAX_BULK_RESULTS = 2_500


def history(
    store: TrackingStore, run_id: str, key: str, max_results: int | None, page_token: str | None
) -> Page[Metric]:
    store.get_run_summary(validation.run_id(run_id))
    limit = MAX_HISTORY_PAGE if max_results is None else max_results
    if not 0 < limit <= MAX_HISTORY_PAGE:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_HISTORY_PAGE}, got {limit}")
    return store.history(run_id, key, page_token, limit)


def bulk_interval(
    store: TrackingStore,
    run_ids: list[str],
    key: str,
    start_step: int | None,
    end_step: int | None,
    max_results: int | None,
) -> list[tuple[str, Metric]]:
    """Up to `max_results` points per run, sampled evenly over the steps, keeping the first and last."""
    if not 0 < len(run_ids) <= MAX_BULK_RUNS:
        raise InvalidParameter(f"GetMetricHistoryBulkInterval takes 1 to {MAX_BULK_RUNS} run IDs")
    if (start_step is None) != (end_step is None):
        raise InvalidParameter("If either start step or end step are specified, both must be specified.")
    if start_step is not None and end_step is not None and start_step > end_step:
        raise InvalidParameter("end_step must be greater than start_step.")
    limit = MAX_BULK_RESULTS if max_results is None else max_results
    if not 0 < limit <= MAX_BULK_RESULTS:
        raise InvalidParameter(f"max_results must be between 1 and {MAX_BULK_RESULTS}")
    sampled: list[tuple[str, Metric]] = []
    for run_id in run_ids:
        points = [
            m
            for m in _all_points(store, run_id, key)
            if start_step is None or start_step <= m.step <= (end_step if end_step is not None else m.step)
        ]
        sampled += [(run_id, m) for m in _sample(sorted(points, key=lambda m: (m.step, m.timestamp)), limit)]
    return sampled


def _all_points(store: TrackingStore, run_id: str, key: str) -> list[Metric]:
    store.get_run_summary(validation.run_id(run_id))
    points: list[Metric] = []
    token: str | None = None
    while True:
        page = store.history(run_id, key, token, MAX_HISTORY_PAGE)
        points += page.items
        if not (token := page.next_page_token):
            return points


def _sample(points: list[Metric], limit: int) -> list[Metric]:
    steps = sorted({m.step for m in points})
    if len(steps) <= limit:
        return points
    stride = (len(steps) - 1) / (limit - 1) if limit > 1 else len(steps)
    keep = {steps[round(i * stride)] for i in range(limit)} | {steps[0], steps[-1]}
    return [m for m in points if m.step in keep]
