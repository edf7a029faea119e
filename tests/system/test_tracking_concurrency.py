"""Many writers, one run or one experiment, through the local stack with the unmodified mlflow client.

The client does not retry (MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 in the fixture), so any refused call fails
the test. Every test checks what was stored: every point exactly once, MLflow's "latest" (the max by
step, timestamp, value), every param and tag.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

from trackway_backend.local.process import StackProcess

Point = tuple[int, int, float]  # step, timestamp, value
BASE_TS = 1_700_000_000_000


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(local_stack.url)


def new_run(client: mlflow.MlflowClient) -> str:
    experiment_id = client.create_experiment(f"concurrency-{uuid.uuid4().hex[:8]}")
    return str(client.create_run(experiment_id).info.run_id)


def in_threads(count: int, work: Callable[[int], object]) -> None:
    """Start `count` workers at once and re-raise the first failure."""
    with ThreadPoolExecutor(max_workers=count) as pool:
        for future in [pool.submit(work, index) for index in range(count)]:
            future.result()


def assert_stored_exactly(client: mlflow.MlflowClient, run_id: str, expected: dict[str, list[Point]]) -> None:
    """History holds each logged point exactly once, and get_run's value is MLflow's latest."""
    run = client.get_run(run_id)
    assert set(run.data.metrics) == set(expected)
    for key, points in expected.items():
        stored = [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]
        missing, extra = Counter(points) - Counter(stored), Counter(stored) - Counter(points)
        assert not missing and not extra, f"history of {key}: missing {sorted(missing)}, extra {sorted(extra)}"
        assert run.data.metrics[key] == max(points)[2], f"latest of {key} is not the max by (step, ts, value)"


def batch_of(writer: int, keys: int = 50) -> list[Metric]:
    # Steps and timestamps interleave across writers, so arrival order never decides "latest".
    return [Metric(f"m{k}", writer * 1.5 + k, BASE_TS + (writer * 7) % 20, writer % 6) for k in range(keys)]


def test_twenty_threads_log_batch_to_one_run(client: mlflow.MlflowClient) -> None:
    run_id = new_run(client)

    def log(writer: int) -> None:
        client.log_batch(
            run_id,
            metrics=batch_of(writer),
            params=[Param(f"p{writer}", str(writer))],
            tags=[RunTag(f"t{writer}", "x")],
        )

    in_threads(20, log)
    expected: dict[str, list[Point]] = {}
    for writer in range(20):
        for metric in batch_of(writer):
            expected.setdefault(metric.key, []).append((metric.step, metric.timestamp, metric.value))
    assert_stored_exactly(client, run_id, expected)
    run = client.get_run(run_id)
    assert run.data.params == {f"p{w}": str(w) for w in range(20)}
    assert {f"t{w}" for w in range(20)} <= set(run.data.tags)


def test_ten_threads_of_fifteen_log_metric_calls(client: mlflow.MlflowClient) -> None:
    run_id = new_run(client)

    def points(writer: int) -> list[Point]:
        return [(call % 4, BASE_TS + writer * 15 + call, float(writer * 100 + call)) for call in range(15)]

    def log(writer: int) -> None:
        for step, timestamp, value in points(writer):
            client.log_metric(run_id, "loss", value, timestamp=timestamp, step=step)

    in_threads(10, log)
    assert_stored_exactly(client, run_id, {"loss": [p for w in range(10) for p in points(w)]})


def _process_writer(url: str, run_id: str, writer: int) -> None:
    client = mlflow.MlflowClient(url)
    for call in range(4):
        metrics = [Metric(f"k{k}", writer + call / 10, BASE_TS + call, call * 8 + writer) for k in range(10)]
        client.log_batch(
            run_id, metrics=metrics, params=[Param(f"p{writer}-{call}", "v")], tags=[RunTag(f"t{writer}", str(call))]
        )
    client.log_metric(run_id, "single", float(writer), timestamp=BASE_TS + writer, step=writer)


def test_eight_processes_log_to_one_run(client: mlflow.MlflowClient, local_stack: StackProcess) -> None:
    run_id = new_run(client)
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        pool.starmap(_process_writer, [(local_stack.url, run_id, writer) for writer in range(8)])
    expected: dict[str, list[Point]] = {
        f"k{k}": [(c * 8 + w, BASE_TS + c, w + c / 10) for w in range(8) for c in range(4)] for k in range(10)
    }
    expected["single"] = [(w, BASE_TS + w, float(w)) for w in range(8)]
    assert_stored_exactly(client, run_id, expected)
    run = client.get_run(run_id)
    assert run.data.params == {f"p{w}-{c}": "v" for w in range(8) for c in range(4)}
    assert all(run.data.tags[f"t{w}"] == "3" for w in range(8))  # each process's last write of its tag


def test_a_replayed_log_batch_adds_nothing_and_params_stay_immutable(client: mlflow.MlflowClient) -> None:
    run_id = new_run(client)
    metrics = [Metric("loss", float(s), BASE_TS + s, s) for s in range(20)]
    for _ in range(3):
        client.log_batch(run_id, metrics=metrics, params=[Param("lr", "0.1")])
    assert_stored_exactly(client, run_id, {"loss": [(s, BASE_TS + s, float(s)) for s in range(20)]})
    with pytest.raises(MlflowException) as refused:
        client.log_batch(run_id, metrics=[Metric("late", 1.0, BASE_TS, 0)], params=[Param("lr", "0.2")])
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"
    assert "late" not in client.get_run(run_id).data.metrics
    assert client.get_run(run_id).data.params == {"lr": "0.1"}


def test_concurrent_experiment_tag_writes_all_survive(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(f"tags-{uuid.uuid4().hex[:8]}")
    in_threads(16, lambda writer: client.set_experiment_tag(experiment_id, f"k{writer}", str(writer)))
    tags = client.get_experiment(experiment_id).tags
    assert {f"k{w}": str(w) for w in range(16)}.items() <= tags.items()


def test_renames_racing_tag_writes_keep_the_rename_the_tags_and_the_name_index(client: mlflow.MlflowClient) -> None:
    first = f"rename-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(first)
    names = [first] + [f"{first}-{n}" for n in range(1, 4)]
    # each round: one rename and eleven tag writes at once

    for round_ in range(3):
        in_threads(12, lambda writer, r=round_: _rename_or_tag(client, experiment_id, names, r, writer))
    experiment = client.get_experiment(experiment_id)
    assert experiment.name == names[3]
    assert {f"k{r}-{w}" for r in range(3) for w in range(1, 12)} <= set(experiment.tags)
    assert client.get_experiment_by_name(names[3]).experiment_id == experiment_id
    for old in names[:3]:
        assert client.get_experiment_by_name(old) is None


def _rename_or_tag(client: mlflow.MlflowClient, experiment_id: str, names: list[str], round_: int, writer: int) -> None:
    if writer == 0:
        client.rename_experiment(experiment_id, names[round_ + 1])
    else:
        client.set_experiment_tag(experiment_id, f"k{round_}-{writer}", "v")


def test_every_write_shows_in_the_next_search_from_any_worker(client: mlflow.MlflowClient) -> None:
    """Search keeps summaries between requests in each worker (docs/adr/015-summary-cache.md). 8 threads
    each write to their own run and then search with a filter only the write satisfies, 12 times, while the
    pool's workers serve both: every search must show the write that returned before it."""
    experiment_id = client.create_experiment(f"search-after-write-{uuid.uuid4().hex[:8]}")
    run_ids = [client.create_run(experiment_id).info.run_id for _ in range(8)]
    for _ in range(2):  # every worker keeps the experiment's summaries before the writes start
        in_threads(8, lambda _: client.search_runs([experiment_id], order_by=["metrics.v DESC"]))

    def write_then_search(writer: int) -> None:
        run_id = run_ids[writer]
        for step in range(12):
            value = float(writer * 100 + step)
            client.log_metric(run_id, "v", value, step=step)
            client.set_tag(run_id, "last", str(step))
            found = client.search_runs(
                [experiment_id], f"metrics.v = {value} and tags.last = '{step}'", order_by=["metrics.v DESC"]
            )
            assert [run.info.run_id for run in found] == [run_id], (writer, step)

    in_threads(8, write_then_search)
    final = client.search_runs([experiment_id], order_by=["metrics.v DESC"])
    assert [run.data.metrics["v"] for run in final] == [float(w * 100 + 11) for w in reversed(range(8))]
