"""Busy answers (409/429/503) are retried, never a reason to split or drop a batch; a 400 is reported.

Every test checks exactly-once delivery the same way: each point is stored once, and every log-batch
request that carried a given point (failed attempts included) had the very same body.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

import pytest

from tests.sdk.fake_mlflow import LOG_BATCH, FakeMlflow, wait_for
from trackway.config import Settings
from trackway.errors import RestError
from trackway.http import RestClient
from trackway.retry import RetryPolicy
from trackway.session import Session
from trackway.spool import Spool

BUSY = [(409, None), (429, 0.02), (503, 0.02)]


def _assert_exactly_once(fake: FakeMlflow, run_id: str, expected: int) -> None:
    points = fake.stored_points(run_id)
    assert len(points) == expected
    assert fake.metric_receipts == expected  # no accepted request carried a point twice
    carried = fake.bodies_by_point()
    for point in points:  # a retry or a replay sent the same request, never a re-cut one
        assert len(carried[point]) == 1, point


@pytest.mark.parametrize(("status", "retry_after"), BUSY)
def test_a_busy_answer_is_retried_with_the_same_request(
    session: Session, fake: FakeMlflow, status: int, retry_after: float | None
) -> None:
    run = session.start_run()
    fake.fail("log-batch", status, times=2, retry_after=retry_after)
    for step in range(300):
        session.log_metric("loss", 1.0 / (step + 1), step=step)
    assert session.flush(10)
    _assert_exactly_once(fake, run.info.run_id, 300)
    assert len(fake.batch_bodies) == len(set(fake.batch_bodies)) + 2  # two refusals of one request, then it
    assert session.client.rest.retried[status] == 2
    assert session.logger.stats | {"sent": 0} == {
        "sent": 0,
        "spooled": 0,
        "replayed": 0,
        "rejected": 0,
        "rejected_requests": 0,
        "quarantined": 0,
    }


@pytest.mark.parametrize(("status", "retry_after"), BUSY)
def test_busy_past_the_retries_spools_the_batch_whole_and_replays_it(
    session: Session, fake: FakeMlflow, status: int, retry_after: float | None
) -> None:
    run = session.start_run()
    fake.fail("log-batch", status, times=5, retry_after=retry_after)  # 3 live attempts, then 2 in replay
    for step in range(700):
        session.log_metric("acc", step / 700, step=step)
    assert session.flush(10)
    assert session.logger.stats["spooled"] >= 1
    assert wait_for(lambda: len(fake.stored_points(run.info.run_id)) == 700, 10)
    assert wait_for(lambda: not session.logger.offline, 5)
    _assert_exactly_once(fake, run.info.run_id, 700)
    assert fake.answers[(LOG_BATCH, status)] == 5
    assert session.logger.spool.pending() == [] and session.logger.spool.dead_files() == []


@pytest.mark.parametrize(("status", "retry_after"), BUSY)
def test_a_fraction_of_busy_answers_under_steady_logging_loses_and_splits_nothing(
    session: Session, fake: FakeMlflow, status: int, retry_after: float | None
) -> None:
    run = session.start_run()
    fake.fail("log-batch", status, times=None, fraction=0.4, retry_after=retry_after)
    for step in range(3000):
        session.log_metrics({"loss": 1.0 / (step + 1), "lr": 0.1}, step=step)
        if step % 150 == 0:
            session.flush()
    session.end_run()
    rid = run.info.run_id
    assert wait_for(lambda: fake.runs[rid]["status"] == "FINISHED", 20)
    _assert_exactly_once(fake, rid, 6000)
    assert fake.answers[(LOG_BATCH, status)] > 5  # the fault really fired
    assert session.logger.stats["rejected"] == 0 and session.logger.spool.dead_files() == []


def test_retry_after_is_honoured_and_bounded(fake: FakeMlflow) -> None:
    fast = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002, max_retry_after=0.5)
    client = RestClient(fake.url, retry=fast)
    fake.fail("experiments/get$", 429, times=1, retry_after=0.3)
    started = time.monotonic()
    client.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
    assert 0.3 <= time.monotonic() - started < 1.0
    fake.fail("experiments/get$", 503, times=1, retry_after=3600)  # capped by max_retry_after
    started = time.monotonic()
    client.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
    assert 0.5 <= time.monotonic() - started < 1.5


def test_busy_answers_stop_retrying_at_the_deadline(fake: FakeMlflow) -> None:
    client = RestClient(fake.url, retry=RetryPolicy(max_attempts=50, base_delay=0.05, max_delay=0.1))
    fake.fail("experiments/get$", 409, times=None)
    started = time.monotonic()
    with pytest.raises(RestError) as raised:
        client.call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"}, deadline=started + 0.5)
    assert raised.value.status == 409 and raised.value.contention
    assert time.monotonic() - started < 0.8


def test_a_400_is_recorded_with_its_reason_logged_and_counted(
    session: Session, fake: FakeMlflow, caplog: pytest.LogCaptureFixture
) -> None:
    run = session.start_run()
    for step in range(500):
        session.log_metric("good", float(step), step=step)
    session.log_metric("bad key!", 1.0, step=7)
    with caplog.at_level(logging.WARNING, logger="trackway"):
        session.flush()
        for step in range(500, 600):  # later batches of the run go on
            session.log_metric("good", float(step), step=step)
        session.flush()
    rid = run.info.run_id
    assert len(fake.stored_points(rid, "good")) == 600 and fake.metric_receipts == 600
    stats = session.logger.stats
    assert (stats["rejected"], stats["rejected_requests"], stats["spooled"]) == (1, 1, 0)
    (record,) = session.logger.spool.rejected_files()
    data = json.loads(record.read_text())
    assert data["body"]["metrics"] == [
        {"key": "bad key!", "value": 1.0, "timestamp": data["body"]["metrics"][0]["timestamp"], "step": 7}
    ]
    assert data["rejected"]["status"] == 400
    assert data["rejected"]["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "Invalid metric name" in data["rejected"]["message"]
    assert any("Invalid metric name" in r.getMessage() and str(record) in r.getMessage() for r in caplog.records)


def test_a_run_that_refuses_every_write_is_recorded_whole_without_bisecting(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    fake.runs[run.info.run_id]["lifecycle_stage"] = "deleted"
    for step in range(200):
        session.log_metric("m", float(step), step=step)
    session.flush()
    assert fake.log_batch_calls == 0 and len(fake.batch_bodies) == 1  # one try, no halves
    (record,) = session.logger.spool.rejected_files()
    assert len(json.loads(record.read_text())["body"]["metrics"]) == 200
    assert session.logger.stats["rejected"] == 200


def test_a_400_during_replay_is_isolated_the_same_way(settings: Settings, fake: FakeMlflow, tmp_path: Path) -> None:
    session = Session(settings)
    run = session.start_run()
    fake.fail("log-batch", 503, times=3)  # the live attempts fail: the batch with the bad entry spools
    for step in range(50):
        session.log_metric("good", float(step), step=step)
    session.log_metric("bad key!", 1.0)
    session.flush()
    assert wait_for(lambda: len(fake.stored_points(run.info.run_id)) == 50, 10)
    assert wait_for(lambda: len(session.logger.spool.rejected_files()) == 1, 5)
    session.shutdown()
    assert session.logger.stats["rejected"] == 1 and session.logger.spool.pending() == []


def test_sessions_on_threads_sharing_a_spool_deliver_every_point_once_under_busy_answers(
    settings: Settings, fake: FakeMlflow
) -> None:
    rid = fake.add_run()
    fake.fail("log-batch", 503, times=None, fraction=0.5, retry_after=0.01)
    sessions = [Session(settings) for _ in range(4)]  # four loggers, one spool directory, as on one host

    def train(index: int) -> None:
        session = sessions[index]
        for step in range(500):
            session.log_metrics({f"own.{index}": float(step), "shared": index * 1000.0 + step}, step=step, run_id=rid)
            if step % 50 == 0:
                session.flush()
                time.sleep(0.01)
        session.flush()

    threads = [threading.Thread(target=train, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    fake.fail_rules.clear()
    for session in sessions:
        session.shutdown()
    assert wait_for(lambda: len(fake.stored_points(rid)) == 4000, 20)
    _assert_exactly_once(fake, rid, 4000)
    assert fake.answers[(LOG_BATCH, 503)] > 5 and sum(s.logger.stats["rejected"] for s in sessions) == 0
    assert Spool(settings.spool_path).pending() == [] and Spool(settings.spool_path).dead_files() == []
