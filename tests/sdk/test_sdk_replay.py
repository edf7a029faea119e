"""Spool replay: a file that keeps failing is quarantined with a report and never blocks the others."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from tests.sdk.fake_mlflow import LOG_BATCH, FakeMlflow, wait_for
from trackway.http import RestClient
from trackway.replay import DOWN_STREAK
from trackway.retry import RetryPolicy
from trackway.session import Session
from trackway.spool import Spool, SpooledRequest


def _batch(fake: FakeMlflow, run_id: str, key: str, n: int = 3) -> SpooledRequest:
    metrics = [{"key": key, "value": float(i), "timestamp": i, "step": i} for i in range(n)]
    return SpooledRequest(fake.url, "POST", LOG_BATCH, {"run_id": run_id, "metrics": metrics})


def _poison(body: dict[str, Any]) -> bool:
    return any(m["key"] == "poison" for m in body.get("metrics") or [])


def _sender(fake: FakeMlflow, calls: list[str] | None = None) -> Any:
    client = RestClient(fake.url, retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.02).contention_only())

    def send(request: SpooledRequest) -> None:
        if calls is not None:
            calls.append(request.body["metrics"][0]["key"])
        client.call(request.method, request.path, request.body)

    return send


def test_a_batch_refused_with_a_5xx_forever_is_quarantined_and_blocks_nothing(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    fake.fail_batch(_poison, 500)
    spool.write(_batch(fake, rid, "poison"))
    spool.write(_batch(fake, rid, "a"))
    first = spool.replay(_sender(fake))
    assert (first.sent, first.requeued, first.remaining, first.dead) == (1, 1, 1, 0)
    assert len(fake.stored_points(rid, "a")) == 3  # the file behind the bad one went through
    for key in ("b", "c"):  # later passes, each with something the server accepts
        spool.write(_batch(fake, rid, key))
        last = spool.replay(_sender(fake))
    assert (last.sent, last.dead, last.remaining) == (1, 1, 0)
    assert spool.pending() == [] and len(fake.stored_points(rid)) == 9
    (dead,) = spool.dead_files()
    data = json.loads(dead.read_text())
    report = data["quarantine"]
    assert report["attempts"] == 3 and "failed 3 times" in report["reason"] and "INTERNAL_ERROR" in report["reason"]
    assert [f["status"] for f in report["failures"]] == [500, 500, 500] and all(f["time"] for f in report["failures"])
    assert report["quarantined_at"] and data["body"]["metrics"][0]["key"] == "poison"


def test_an_outage_quarantines_nothing_and_keeps_the_order(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    for key in "abcdefgh":
        spool.write(_batch(fake, rid, key))
    before = spool.pending()
    fake.down_status = 500
    for _ in range(6):
        calls: list[str] = []
        result = spool.replay(_sender(fake, calls))
        assert calls == list("abc")[:DOWN_STREAK] and result.remaining == 8 and result.dead == 0
    assert spool.pending() == before and spool.dead_files() == []
    fake.down_status = None
    calls = []
    assert spool.replay(_sender(fake, calls)).sent == 8 and calls == list("abcdefgh")


def test_busy_answers_during_replay_are_retried_and_never_dead(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    for key in "abc":
        spool.write(_batch(fake, rid, key))
    fake.fail("log-batch", 409, times=2)  # absorbed by the retries of one send
    assert spool.replay(_sender(fake)).sent == 3
    for key in "de":
        spool.write(_batch(fake, rid, key))
    for status in (409, 429, 503):
        fake.fail("log-batch", status, times=3, retry_after=0.01)  # more than the retries: the pass stops
        result = spool.replay(_sender(fake))
        assert (result.sent, result.remaining, result.dead, result.requeued) == (0, 2, 0, 0)
    assert spool.replay(_sender(fake)).sent == 2
    assert spool.dead_files() == [] and len(fake.stored_points(rid)) == 15 and fake.metric_receipts == 15


def test_quarantined_requests_can_be_put_back_and_replayed(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    rule = fake.fail_batch(_poison, 500)
    spool.write(_batch(fake, rid, "poison"))
    for key in "abc":
        spool.write(_batch(fake, rid, key))
        spool.replay(_sender(fake))
    assert len(spool.dead_files()) == 1
    rule.times = 0  # the server is fixed
    assert spool.requeue_dead() == 1 and spool.dead_files() == []
    (path,) = spool.pending()
    assert "failures" not in json.loads(path.read_text())
    assert spool.replay(_sender(fake)).sent == 1 and len(fake.stored_points(rid, "poison")) == 3


def test_the_flusher_quarantines_a_poison_batch_and_delivers_everything_else(
    session: Session, fake: FakeMlflow
) -> None:
    run = session.start_run()
    rid = run.info.run_id
    fake.fail_batch(_poison, 500)
    session.log_metric("poison", 1.0)
    session.flush()
    assert session.logger.offline
    step = 0
    while not session.logger.spool.dead_files() and step < 400:
        session.log_metric("loss", float(step), step=step)
        session.flush()
        step += 1
        time.sleep(0.01)
    assert session.logger.spool.dead_files(), "the poison batch was never quarantined"
    session.log_metric("loss", -1.0, step=step)
    session.flush()
    assert wait_for(lambda: not session.logger.offline, 10)
    assert wait_for(lambda: len(fake.stored_points(rid, "loss")) == step + 1, 10)
    assert fake.stored_points(rid, "poison") == [] and session.logger.stats["quarantined"] == 1
    assert fake.metric_receipts == step + 1 and session.logger.spool.pending() == []
