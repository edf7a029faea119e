"""Processes that die: SIGKILL (spool replays on the next start), SIGTERM and plain exit (hooks flush)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.sdk.fake_mlflow import FakeMlflow, wait_for
from trackway.config import Settings
from trackway.session import Session

SDK_ROOT = Path(__file__).resolve().parents[2] / "sdk"


def _child(code: str, fake: FakeMlflow, spool: Path, signals: bool = False) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TRACKWAY_TRACKING_URI": fake.url,
        "TRACKWAY_SPOOL_DIR": str(spool),
        "TRACKWAY_FLUSH_INTERVAL": "0.05",
        "TRACKWAY_MAX_ATTEMPTS": "2",
        "TRACKWAY_EXIT_FLUSH_TIMEOUT": "5",
        "TRACKWAY_HANDLE_SIGNALS": "1" if signals else "0",
        "PYTHONPATH": str(SDK_ROOT),
    }
    # As a job started from a terminal: Ctrl-C raises KeyboardInterrupt. A runner that starts the tests in
    # the background of a non-interactive shell hands its children SIGINT ignored, and Python then keeps it so.
    preamble = "import signal; signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    return subprocess.Popen(
        [sys.executable, "-c", preamble + code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )


def test_sigkilled_job_spool_replays_on_next_start_without_duplicates(fake: FakeMlflow, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    child = _child(
        "import sys, time, trackway\n"
        "run = trackway.start_run()\n"
        "print(run.info.run_id, flush=True); sys.stdin.readline()\n"
        "for i in range(5000): trackway.log_metric('loss', i * 0.5, step=i)\n"
        "trackway.flush(); print('spooled', flush=True); time.sleep(60)\n",
        fake,
        spool,
    )
    assert child.stdout is not None and child.stdin is not None
    run_id = child.stdout.readline().strip()
    fake.down_status = 503  # the API goes away before the child logs anything
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "spooled"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert list(spool.glob("*.json")) and fake.metric_receipts == 0
    fake.down_status = None
    # the next job on this machine starts a run: its flusher replays the dead job's spool first
    settings = Settings(
        tracking_uri=fake.url, spool_dir=spool, home=tmp_path, flush_interval=0.05, handle_signals=False
    )
    session = Session(settings)
    session.start_run()
    assert wait_for(lambda: not list(spool.glob("*.json")), 10)
    session.shutdown()
    assert len(fake.stored_points(run_id, "loss")) == 5000
    assert fake.metric_receipts == 5000  # each point sent exactly once


def test_plain_exit_flushes_and_finishes_the_run(fake: FakeMlflow, tmp_path: Path) -> None:
    child = _child(
        "import trackway\nrun = trackway.start_run()\nprint(run.info.run_id)\n"
        "for i in range(1500): trackway.log_metric('m', i, step=i)\n",
        fake,
        tmp_path,
    )
    out, _ = child.communicate(timeout=30)
    run_id = out.strip()
    assert child.returncode == 0
    assert len(fake.stored_points(run_id)) == 1500 and fake.runs[run_id]["status"] == "FINISHED"


def test_sigterm_flushes_marks_killed_and_dies_by_the_signal(fake: FakeMlflow, tmp_path: Path) -> None:
    child = _child(
        "import time, trackway\nrun = trackway.start_run()\n"
        "for i in range(700): trackway.log_metric('m', i, step=i)\n"
        "print(run.info.run_id, flush=True)\ntime.sleep(60)\n",
        fake,
        tmp_path,
        signals=True,
    )
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    child.send_signal(signal.SIGTERM)
    assert child.wait(30) == -signal.SIGTERM
    assert len(fake.stored_points(run_id)) == 700 and fake.runs[run_id]["status"] == "KILLED"


def test_sigint_chains_to_keyboard_interrupt(fake: FakeMlflow, tmp_path: Path) -> None:
    child = _child(
        "import time, trackway\n"
        "try:\n"
        "    with trackway.start_run() as run:\n"
        "        trackway.log_metric('m', 1.0)\n"
        "        print(run.info.run_id, flush=True)\n"
        "        time.sleep(60)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted', flush=True)\n",
        fake,
        tmp_path,
        signals=True,
    )
    assert child.stdout is not None
    run_id = child.stdout.readline().strip()
    child.send_signal(signal.SIGINT)
    assert child.stdout.readline().strip() == "interrupted"
    assert child.wait(30) == 0
    assert fake.runs[run_id]["status"] == "KILLED" and len(fake.stored_points(run_id)) == 1
