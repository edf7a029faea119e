"""Non-blocking logging: the loop cost, batching limits, flushes, rejected entries, ranks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

import trackway
from tests.sdk.fake_mlflow import FakeMlflow
from trackway.config import Settings
from trackway.session import Session


def test_100k_log_metric_calls_cost_the_loop_under_a_second(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    log_metric = session.log_metric
    started = time.perf_counter()
    for step in range(100_000):
        log_metric("loss", 0.5, step=step)
    loop_seconds = time.perf_counter() - started
    assert session.flush(60)
    print(f"\n100,000 log_metric calls cost the loop {loop_seconds:.3f} s")
    assert loop_seconds < 1.0
    assert len(fake.stored_points(run.info.run_id, "loss")) == 100_000
    assert fake.metric_receipts == 100_000
    assert fake.log_batch_calls >= 100  # ≤1000 metrics per request


def test_fluent_api_from_the_environment(fake: FakeMlflow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", fake.url)
    monkeypatch.setenv("TRACKWAY_FLUSH_INTERVAL", "0.05")
    trackway.set_experiment("fluent")
    with trackway.start_run(run_name="f") as run:
        trackway.log_params({"a": 1, "b": "x"})
        trackway.log_metrics({"acc": 0.9, "loss": 0.1}, step=3)
        trackway.set_tags({"k": "v"})
        assert trackway.active_run() is run
    assert trackway.active_run() is None
    rid = run.info.run_id
    assert fake.runs[rid]["status"] == "FINISHED"
    assert fake.runs[rid]["experiment_id"] == "1"
    assert fake.params[rid] == {"a": "1", "b": "x"}
    assert sorted(p[0] for p in fake.stored_points(rid)) == ["acc", "loss"]


def test_log_metric_without_a_run_starts_one(session: Session, fake: FakeMlflow) -> None:
    session.log_metric("x", 1.0)
    session.flush()
    (rid,) = fake.runs
    assert fake.stored_points(rid) != []


def test_failed_block_marks_the_run_failed_and_interrupt_marks_killed(session: Session, fake: FakeMlflow) -> None:
    with pytest.raises(ValueError), session.start_run() as failed:
        raise ValueError("boom")
    with pytest.raises(KeyboardInterrupt), session.start_run() as killed:
        raise KeyboardInterrupt
    assert fake.runs[failed.info.run_id]["status"] == "FAILED"
    assert fake.runs[killed.info.run_id]["status"] == "KILLED"


def test_a_rejected_entry_is_isolated_and_the_rest_of_its_batch_lands(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    for i in range(100):
        session.log_metric("ok", float(i), step=i)
    session.log_metric("bad key!", 1.0)  # invalid name: the server rejects the whole batch
    session.log_param("bad_param", 1)
    session.log_param("good_param", 2)
    session.flush()
    assert len(fake.stored_points(run.info.run_id, "ok")) == 100
    assert fake.params[run.info.run_id] == {"good_param": "2"}
    assert session.logger.stats["rejected"] == 2
    records = [json.loads(p.read_text()) for p in session.logger.spool.rejected_files()]
    refused = sorted(e["key"] for r in records for e in r["body"]["metrics"] + r["body"]["params"])
    assert refused == ["bad key!", "bad_param"]
    assert {r["rejected"]["error_code"] for r in records} == {"INVALID_PARAMETER_VALUE"}


def test_params_and_many_tags_stay_within_limits(session: Session, fake: FakeMlflow) -> None:
    run = session.start_run()
    for i in range(250):
        session.log_param(f"p{i}", i)
        session.set_tag(f"t{i}", i)
    session.flush()
    assert len(fake.params[run.info.run_id]) == 250
    assert sum(k.startswith("t") for k in fake.tags[run.info.run_id]) == 250


def test_nested_runs_and_parent_tag(session: Session, fake: FakeMlflow) -> None:
    with session.start_run() as parent, session.start_run(nested=True) as child:
        pass
    assert fake.tags[child.info.run_id]["mlflow.parentRunId"] == parent.info.run_id
    with session.start_run(), pytest.raises(trackway.TrackwayError):
        session.start_run()


def test_only_rank_zero_logs_by_default(settings: Settings, fake: FakeMlflow) -> None:
    other = Session(settings.with_overrides(rank=1, world_size=2))
    with other.start_run() as run:
        other.log_metric("x", 1.0)
        other.log_param("p", 1)
    other.shutdown()
    assert run.info.run_id == "" and not run.enabled
    assert fake.runs == {} and fake.requests == []


def test_other_ranks_log_when_opted_in(settings: Settings, fake: FakeMlflow) -> None:
    other = Session(settings.with_overrides(rank=1, world_size=2, all_ranks=True))
    with other.start_run() as run:
        other.log_metric("x", 1.0)
    other.shutdown()
    assert fake.tags[run.info.run_id]["trackway.rank"] == "1"
    assert len(fake.stored_points(run.info.run_id)) == 1


def test_configure_all_ranks_via_fluent_api(fake: FakeMlflow, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RANK", "2")
    trackway.set_tracking_uri(fake.url)
    assert trackway.start_run().info.run_id == ""
    trackway.reset()
    trackway.configure(tracking_uri=fake.url, all_ranks=True)
    assert trackway.start_run().info.run_id != ""
    trackway.reset()


def test_resume_a_run_by_id(session: Session, fake: FakeMlflow) -> None:
    rid = fake.add_run()
    fake.runs[rid]["status"] = "FAILED"
    with session.start_run(run_id=rid):
        session.log_metric("m", 1.0)
    assert fake.runs[rid]["status"] == "FINISHED"
    assert len(fake.stored_points(rid)) == 1
