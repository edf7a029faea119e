"""Tracking workloads: create run, log-batch (10 and 500 metrics, mixed), get run, metric history."""

from __future__ import annotations

from bench.context import Context, metrics, now_ms
from bench.timing import Measurement, Op, measure

TEN_KEYS = [f"m{k}" for k in range(10)]
FIVE_HUNDRED_KEYS = [f"m{k:03d}" for k in range(500)]


def create_run(ctx: Context) -> Measurement:
    def prepare(_client: int) -> Op:
        rest = ctx.client()
        return lambda _seq: ctx.new_run(rest)

    return measure(prepare, ctx.sizes.clients, ctx.sizes.create_run_ops, ctx.sizes.repetitions)


def _log_batch(ctx: Context, keys: list[str], ops: int) -> Measurement:
    """Each client logs one step of `keys` per request to its own run, as a training loop does."""

    def prepare(_client: int) -> Op:
        rest = ctx.client()
        run_id = ctx.new_run(rest)
        return lambda seq: rest.log_batch(run_id, metrics(keys, seq, value=seq * 0.01))

    return measure(prepare, ctx.sizes.clients, ops, ctx.sizes.repetitions)


def log_batch_10(ctx: Context) -> Measurement:
    return _log_batch(ctx, TEN_KEYS, ctx.sizes.log_batch_10_ops)


def log_batch_500(ctx: Context) -> Measurement:
    return _log_batch(ctx, FIVE_HUNDRED_KEYS, ctx.sizes.log_batch_500_ops)


def log_batch_mixed(ctx: Context) -> Measurement:
    """10 metrics, 5 new params and 5 updated tags per request."""

    def prepare(_client: int) -> Op:
        rest = ctx.client()
        run_id = ctx.new_run(rest)

        def op(seq: int) -> None:
            params = {f"p{seq}_{k}": f"value-{seq}-{k}" for k in range(5)}
            tags = {f"tag{k}": f"step-{seq}" for k in range(5)}
            rest.log_batch(run_id, metrics(TEN_KEYS, seq), params, tags)

        return op

    return measure(prepare, ctx.sizes.clients, ctx.sizes.mixed_ops, ctx.sizes.repetitions)


def get_run(ctx: Context) -> Measurement:
    """A realistic run: 50 latest metrics, 20 params, 10 tags beyond the client's own."""
    rest = ctx.client()
    run_id = ctx.new_run(rest)
    params = {f"param_{k}": f"value-{k}" for k in range(20)}
    tags = {f"tag_{k}": f"value-{k}" for k in range(10)}
    rest.log_batch(run_id, metrics([f"metric_{k}" for k in range(50)], 0), params, tags)
    return measure(lambda _client: lambda _seq: rest.get_run(run_id), 1, ctx.sizes.get_run_ops, ctx.sizes.repetitions)


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
