"""Tracking workloads: create run, log-batch (10 and 500 metrics, mixed), the training loop's per-step
log_metrics and per-point log_metric, get run, metric history.

Every write workload checks its answers once its clients are done: each run it wrote must hold every point
exactly once, with the latest step as its latest value, and every param and tag. A wrong answer raises
AssertionError, which the harness reports as WRONG, never as a time.
"""

from __future__ import annotations

from collections.abc import Callable

from bench.context import Context, metrics, now_ms
from bench.rest import MlflowRest
from bench.timing import Measurement, Op, Prepare, measure

TEN_KEYS = [f"m{k}" for k in range(10)]
FIFTY_KEYS = [f"metric_{k:02d}" for k in range(50)]
FIVE_HUNDRED_KEYS = [f"m{k:03d}" for k in range(500)]


def create_run(ctx: Context) -> Measurement:
    def prepare(_client: int) -> Op:
        rest = ctx.client()
        return lambda _seq: ctx.new_run(rest)

    return measure(prepare, ctx.sizes.clients, ctx.sizes.create_run_ops, ctx.sizes.repetitions)


Written = tuple[MlflowRest, str]
"""A client and the run it logged to, for the answer checks."""


def own_runs(ctx: Context, written: list[Written], logger: Callable[[MlflowRest, str], Op]) -> Prepare:
    """Each client (in each repetition) logs to a run of its own, remembered in `written`."""

    def prepare(_client: int) -> Op:
        rest = ctx.client()
        run_id = ctx.new_run(rest)
        written.append((rest, run_id))
        return logger(rest, run_id)

    return prepare


def _log_steps(ctx: Context, keys: list[str], ops: int, clients: int) -> Measurement:
    """Each client logs one step of `keys` per request to its own run, as a training loop does."""
    written: list[Written] = []
    prepare = own_runs(
        ctx, written, lambda rest, run_id: lambda seq: rest.log_batch(run_id, metrics(keys, seq, _value(seq)))
    )
    measurement = measure(prepare, clients, ops, ctx.sizes.repetitions)
    for rest, run_id in written:
        check_steps(rest, run_id, keys, ops)
    return measurement


def _value(step: int) -> float:
    return step * 0.01


def check_steps(rest: MlflowRest, run_id: str, keys: list[str], steps: int) -> None:
    """Every key's latest point is the last step; the first and last keys hold each step exactly once."""
    latest = {m["key"]: (m["step"], m["value"]) for m in rest.get_run(run_id)["data"].get("metrics", [])}
    expected = (steps - 1, _value(steps - 1))
    wrong = [key for key in keys if latest.get(key) != expected]
    if wrong:
        raise AssertionError(f"run {run_id}: latest of {wrong[:3]} is {latest.get(wrong[0])}, expected {expected}")
    for key in {keys[0], keys[-1]}:
        if (found := rest.metric_history(run_id, key)) != steps:
            raise AssertionError(f"run {run_id}: {key} has {found} points, expected {steps}")


def log_batch_10(ctx: Context) -> Measurement:
    return _log_steps(ctx, TEN_KEYS, ctx.sizes.log_batch_10_ops, ctx.sizes.clients)


def log_batch_500(ctx: Context) -> Measurement:
    return _log_steps(ctx, FIVE_HUNDRED_KEYS, ctx.sizes.log_batch_500_ops, ctx.sizes.heavy_clients)


def log_metrics_step(ctx: Context) -> Measurement:
    """`mlflow.log_metrics(dict_of_50, step=epoch)` in a training loop: one log-batch of 50 keys per step."""
    return _log_steps(ctx, FIFTY_KEYS, ctx.sizes.log_metrics_ops, ctx.sizes.clients)


def log_metric_point(ctx: Context) -> Measurement:
    """`mlflow.log_metric(key, value, step)` per point, the client's synchronous default: 5 keys per step."""
    keys = TEN_KEYS[:5]
    written: list[Written] = []

    def logger(rest: MlflowRest, run_id: str) -> Op:
        def op(seq: int) -> None:
            step = seq // len(keys)
            rest.log_metric(run_id, keys[seq % len(keys)], _value(step), now_ms(), step)

        return op

    ops = ctx.sizes.log_metric_steps * len(keys)
    measurement = measure(own_runs(ctx, written, logger), ctx.sizes.clients, ops, ctx.sizes.repetitions)
    for rest, run_id in written:
        check_steps(rest, run_id, keys, ctx.sizes.log_metric_steps)
    return measurement


def log_batch_mixed(ctx: Context) -> Measurement:
    """10 metrics, 5 new params and 5 updated tags per request."""
    ops = ctx.sizes.mixed_ops
    written: list[Written] = []

    def logger(rest: MlflowRest, run_id: str) -> Op:
        def op(seq: int) -> None:
            params = {f"p{seq}_{k}": f"value-{seq}-{k}" for k in range(5)}
            tags = {f"tag{k}": f"step-{seq}" for k in range(5)}
            rest.log_batch(run_id, metrics(TEN_KEYS, seq, value=_value(seq)), params, tags)

        return op

    measurement = measure(own_runs(ctx, written, logger), ctx.sizes.clients, ops, ctx.sizes.repetitions)
    for rest, run_id in written:
        check_steps(rest, run_id, TEN_KEYS, ops)
        data = rest.get_run(run_id)["data"]
        params = {p["key"]: p["value"] for p in data.get("params", [])}
        tags = {t["key"]: t["value"] for t in data.get("tags", [])}
        if len([key for key in params if key.startswith("p")]) != 5 * ops:
            raise AssertionError(f"run {run_id}: {len(params)} params, expected {5 * ops}")
        if any(tags.get(f"tag{k}") != f"step-{ops - 1}" for k in range(5)):
            raise AssertionError(f"run {run_id}: tags {tags}, expected the last step's")
    return measurement


def get_run(ctx: Context) -> Measurement:
    """A realistic run: 50 latest metrics, 20 params, 10 tags beyond the client's own."""
    rest = ctx.client()
    run_id = ctx.new_run(rest)
    params = {f"param_{k}": f"value-{k}" for k in range(20)}
    tags = {f"tag_{k}": f"value-{k}" for k in range(10)}
    rest.log_batch(run_id, metrics([f"metric_{k}" for k in range(50)], 0), params, tags)

    def op(_seq: int) -> None:
        data = rest.get_run(run_id)["data"]
        shape = (len(data.get("metrics", [])), len(data.get("params", [])))
        if shape != (50, 20):
            raise AssertionError(f"get run returned {shape} (metrics, params), expected (50, 20)")

    return measure(lambda _client: op, 1, ctx.sizes.get_run_ops, ctx.sizes.repetitions)


def metric_history(ctx: Context) -> Measurement:
    """All points of one metric, logged in batches of 1,000 (one step per point), read back page by page."""
    points = ctx.sizes.history_points
    rest = ctx.client()
    run_id = ctx.new_run(rest)
    timestamp = now_ms()
    for start in range(0, points, 1000):
        batch = [
            {"key": "loss", "value": 1.0 / (step + 1), "timestamp": timestamp + step, "step": step}
            for step in range(start, min(points, start + 1000))
        ]
        rest.log_batch(run_id, batch)

    def prepare(_client: int) -> Op:
        def op(_seq: int) -> None:
            found = rest.metric_history(run_id, "loss")
            if found != points:
                raise AssertionError(f"get-history returned {found} points, expected {points}")

        return op

    return measure(prepare, 1, ctx.sizes.history_ops, ctx.sizes.repetitions)
