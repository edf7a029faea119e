"""Nothing lost: the spool, outages mid-training, and replay after a crash."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

from tests.sdk.fake_mlflow import FakeMlflow, wait_for
from trackway.errors import RestError
from trackway.http import RestClient
from trackway.session import Session
from trackway.spool import Spool, SpooledRequest

LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"


def _batch(fake: FakeMlflow, run_id: str, start: int, n: int) -> SpooledRequest:
    metrics = [{"key": "m", "value": float(i), "timestamp": i, "step": i} for i in range(start, start + n)]
    return SpooledRequest(fake.url, "POST", LOG_BATCH, {"run_id": run_id, "metrics": metrics})


def test_write_is_atomic_and_replay_deletes_only_after_success(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    for start in (0, 10, 20):
        spool.write(_batch(fake, rid, start, 10))
    assert len(spool.pending(fake.url)) == 3 and spool.pending("http://elsewhere") == []
    assert not list(tmp_path.glob(".tmp-*"))
    client = RestClient(fake.url)
    fake.fail("log-batch", 503, times=1)
    calls: list[int] = []

    def send(request: SpooledRequest) -> None:
        calls.append(1)
        client.call(request.method, request.path, request.body, retry=client.retry.single())

    first = spool.replay(send, fake.url)
    assert (first.sent, first.remaining, isinstance(first.error, RestError)) == (0, 3, True)
    second = spool.replay(send, fake.url)
    assert (second.sent, second.remaining) == (3, 0)
    assert spool.pending() == [] and len(fake.stored_points(rid)) == 30


def test_rejected_and_unreadable_requests_are_set_aside_and_do_not_block(tmp_path: Path, fake: FakeMlflow) -> None:
    spool, rid = Spool(tmp_path), fake.add_run()
    spool.write(_batch(fake, "no-such-run", 0, 1))
    spool.write(_batch(fake, rid, 0, 5))
    (tmp_path / "00000000000000000000-corrupt.json").write_text("{not json")
    client = RestClient(fake.url)
    result = spool.replay(lambda r: client.call(r.method, r.path, r.body) and None)
    assert (result.sent, result.rejected, result.dead, result.remaining) == (1, 1, 1, 0)
    (rejected,) = spool.rejected_files()
    assert json.loads(rejected.read_text())["rejected"]["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    (dead,) = spool.dead_files()
    report = json.loads((dead.parent / f"{dead.name}.report").read_text())
    assert report["reason"].startswith("unreadable spool file") and dead.read_text() == "{not json"


def test_a_file_locked_by_another_replayer_is_skipped(tmp_path: Path, fake: FakeMlflow) -> None:
    spool = Spool(tmp_path)
    path = spool.write(_batch(fake, fake.add_run(), 0, 1))
    with open(path) as other:
        fcntl.flock(other.fileno(), fcntl.LOCK_EX)
        assert spool.replay(lambda r: None).sent == 0
    assert spool.replay(lambda r: None).sent == 1


def test_replaying_a_batch_twice_creates_no_duplicates(tmp_path: Path, fake: FakeMlflow) -> None:
    # A crash after the server's 200 but before the unlink replays the file: log-batch is idempotent.
    spool, rid, client = Spool(tmp_path), fake.add_run(), RestClient(fake.url)
    request = _batch(fake, rid, 0, 50)
    spool.write(request)
    client.call(request.method, request.path, request.body)  # delivered, then "crashed" before unlink
    spool.replay(lambda r: client.call(r.method, r.path, r.body) and None)
    assert fake.metric_receipts == 100 and len(fake.stored_points(rid)) == 50


def test_api_down_for_a_stretch_mid_training_loses_nothing(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    for step in range(3000):
        session.log_metric("loss", 1.0 / (step + 1), step=step)
        session.log_metric("acc", step / 3000, step=step)
        if step == 1000:
            session.flush()
            fake.stop()  # connection refused from here on
        if step == 2000:
            assert session.flush(10)
            assert session.logger.offline and session.logger.stats["spooled"] > 0
            fake.start()  # same port
    session.end_run()
    assert wait_for(lambda: fake.runs[run.info.run_id]["status"] == "FINISHED", 15)
    assert len(fake.stored_points(run.info.run_id, "loss")) == 3000
    assert len(fake.stored_points(run.info.run_id, "acc")) == 3000
    assert fake.metric_receipts == 6000  # every point once: none lost, none sent twice
    assert wait_for(lambda: session.logger.spool.pending() == [], 5)  # deleted just after the server's answer


def test_api_answering_503_for_a_stretch_loses_nothing(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    for step in range(2000):
        session.log_metric("loss", float(step), step=step)
        if step == 500:
            session.flush()
            fake.down_status = 503
        if step == 1500:
            session.flush()
            fake.down_status = None
    session.end_run()
    assert wait_for(lambda: fake.runs[run.info.run_id]["status"] == "FINISHED", 15)
    assert len(fake.stored_points(run.info.run_id)) == 2000 and fake.metric_receipts == 2000


def test_401_spools_instead_of_dropping(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    fake.token = "rotated"
    session.log_metric("m", 1.0)
    session.flush()
    assert session.logger.stats["spooled"] == 1 and session.logger.stats["rejected"] == 0
    fake.token = None
    assert wait_for(lambda: len(fake.stored_points(run.info.run_id)) == 1, 10)


def test_end_run_while_unreachable_is_spooled_and_replayed(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    fake.stop()
    session.end_run()
    spooled = [json.loads(p.read_text())["path"] for p in session.logger.spool.pending()]
    assert spooled == ["/api/2.0/mlflow/runs/update"]
    fake.start()
    assert wait_for(lambda: fake.runs[run.info.run_id]["status"] == "FINISHED", 10)


def test_shutdown_replays_the_spool_when_the_api_is_back(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    fake.stop()
    for step in range(50):
        session.log_metric("m", float(step), step=step)
    session.flush()
    fake.start()
    session.shutdown()  # no waiting for a probe: the last act of the flusher is one replay attempt
    assert fake.runs[run.info.run_id]["status"] == "FINISHED"
    assert len(fake.stored_points(run.info.run_id)) == 50


def test_a_file_still_being_written_is_not_pending(tmp_path: Path, fake: FakeMlflow) -> None:
    # Another process between its write and its rename: replaying the temp file would send it twice.
    spool = Spool(tmp_path)
    final = spool.write(_batch(fake, fake.add_run(), 0, 1))
    (tmp_path / f".tmp-{final.name}").write_text(final.read_text())
    assert spool.pending() == [final]
