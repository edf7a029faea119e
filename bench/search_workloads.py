"""Search workloads over seeded data: search_runs (unfiltered, filtered + ordered, paging) and
search_experiments."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from bench.context import RUN_TAGS, Context
from bench.rest import MlflowRest
from bench.timing import Measurement, measure

FILTER = "metrics.m0 > 0.5 and params.p0 = 'a'"
ORDER_BY = ["metrics.m1 DESC"]
_START_TIME = 1_700_000_000_000


def metric_values(index: int) -> list[float]:
    return [((index * prime) % 1000) / 1000 for prime in (7919, 104_729, 1_299_709)]


def param_value(index: int) -> str:
    return "abcd"[index % 4]


def expected_filtered(runs: int, limit: int) -> list[float]:
    """The m1 values FILTER + ORDER_BY must return, from the seed's formula (ties share a value)."""
    matching = [metric_values(i)[1] for i in range(runs) if metric_values(i)[0] > 0.5 and param_value(i) == "a"]
    return sorted(matching, reverse=True)[:limit]


def _metric(run: dict[str, Any], key: str) -> float | None:
    return next((m["value"] for m in run["data"].get("metrics", []) if m["key"] == key), None)


class SearchData:
    """One experiment with `search_runs` runs, each with 3 metrics, 3 params and the client's tags."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @cached_property
    def experiment_id(self) -> str:
        ctx = self.ctx
        experiment_id = ctx.client().create_experiment(f"{ctx.label}-search")

        def seed(rest: MlflowRest, index: int) -> None:
            run_id = rest.create_run(experiment_id, _START_TIME + index, RUN_TAGS)
            rest.log_batch(
                run_id,
                [
                    {"key": f"m{k}", "value": v, "timestamp": _START_TIME, "step": 0}
                    for k, v in enumerate(metric_values(index))
                ],
                {"p0": param_value(index), "p1": str(index % 10), "p2": f"value-{index}"},
            )

        ctx.parallel(seed, ctx.sizes.search_runs, "runs")
        return experiment_id


def search_runs_unfiltered(ctx: Context, data: SearchData) -> Measurement:
    experiment_id = data.experiment_id
    expected = min(ctx.sizes.page_size, ctx.sizes.search_runs)
    rest = ctx.client()

    def op(_seq: int) -> None:
        found = len(rest.search_runs([experiment_id], ctx.sizes.page_size).get("runs", []))
        if found != expected:
            raise AssertionError(f"search_runs returned {found} runs, expected {expected}")

    return measure(lambda _client: op, 1, ctx.sizes.search_ops, ctx.sizes.repetitions)


def search_runs_filtered(ctx: Context, data: SearchData) -> Measurement:
    experiment_id = data.experiment_id
    rest = ctx.client()

    expected = expected_filtered(ctx.sizes.search_runs, 100)

    def op(_seq: int) -> None:
        runs = rest.search_runs([experiment_id], 100, FILTER, ORDER_BY).get("runs", [])
        found = [_metric(run, "m1") for run in runs]
        if found != expected:
            raise AssertionError(f"the filtered search returned m1 = {found[:5]}…, expected {expected[:5]}…")

    return measure(lambda _client: op, 1, ctx.sizes.search_ops, ctx.sizes.repetitions)


def search_runs_paging(ctx: Context, data: SearchData) -> Measurement:
    """Every run exactly once, `page_size` at a time (the client's default page is 1,000)."""
    experiment_id = data.experiment_id
    rest = ctx.client()

    def op(_seq: int) -> None:
        seen: set[str] = set()
        token = None
        for _ in range(ctx.sizes.search_runs // ctx.sizes.page_size + 2):
            page = rest.search_runs([experiment_id], ctx.sizes.page_size, page_token=token)
            seen.update(run["info"]["run_id"] for run in page.get("runs", []))
            token = page.get("next_page_token")
            if not token:
                break
        if len(seen) != ctx.sizes.search_runs:
            raise AssertionError(f"paging returned {len(seen)} distinct runs, expected {ctx.sizes.search_runs}")

    return measure(lambda _client: op, 1, ctx.sizes.paging_ops, ctx.sizes.repetitions)


def search_experiments(ctx: Context) -> Measurement:
    """All experiments, 1,000 a page, over at least `experiments` of them."""
    ctx.parallel(lambda rest, i: rest.create_experiment(f"{ctx.label}-exp-{i:04d}"), ctx.sizes.experiments, "exps")
    rest = ctx.client()

    def op(_seq: int) -> None:
        found, token = 0, None
        for _ in range(100):
            page = rest.search_experiments(1000, token)
            found += len(page.get("experiments", []))
            token = page.get("next_page_token")
            if not token:
                break
        if found < ctx.sizes.experiments:
            raise AssertionError(f"search_experiments found {found}, expected at least {ctx.sizes.experiments}")

    return measure(lambda _client: op, 1, ctx.sizes.search_experiments_ops, ctx.sizes.repetitions)
