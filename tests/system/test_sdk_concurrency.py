"""Eight processes log to one run with the SDK through the local stack: every point lands exactly once.

Each process logs its own keys and two keys every process shares, over many steps, in small frequent
batches so that their log-batch calls overlap on the run. If the server sheds load or refuses a write
under that contention (409/429/503), the SDK retries the same request; nothing may be lost, split or
stored twice. The children report what they saw (retries by status, spooled and rejected requests).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import pytest

from trackway.client import TrackwayClient
from trackway_backend.local.process import StackProcess

pytestmark = pytest.mark.system

PROCESSES = 8
STEPS = 400
BASE_TS = 1_700_000_000_000

CHILD = r"""
import json, sys, time
import trackway
from trackway import fluent

run_id, index, steps, base_ts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
trackway.client()  # build the session before the barrier
print("ready", flush=True)
sys.stdin.readline()
for step in range(steps):
    ts = base_ts + step * 10 + index
    trackway.log_metrics({f"own.{index}.loss": 1.0 / (step + 1), f"own.{index}.acc": step / steps}, step=step,
                         timestamp=ts, run_id=run_id)
    trackway.log_metric("shared.loss", index * 1_000_000 + step, step=step, timestamp=ts, run_id=run_id)
    trackway.log_metric("shared.sparse", float(index), step=step // 50, timestamp=ts, run_id=run_id)
    if step % 100 == 0:
        trackway.log_param(f"param.{index}", str(index), run_id=run_id)
        trackway.log_param("lr", "0.01", run_id=run_id)
        trackway.set_tag(f"tag.{index}", str(step), run_id=run_id)
        trackway.set_tag("phase", "train", run_id=run_id)
    time.sleep(0.003)
delivered = trackway.flush(300)
session = fluent._session()
report = {
    "delivered": delivered,
    "stats": dict(session.logger.stats),
    "retried": {str(k): v for k, v in session.client.rest.retried.items()},
    "errors": [str(e)[:200] for e in session.logger.errors],
    "offline": session.logger.offline,
}
trackway.reset()
print(json.dumps(report), flush=True)
"""


def _expected_points(index: int) -> dict[str, set[tuple[int, int, float]]]:
    points: dict[str, set[tuple[int, int, float]]] = {}
    for step in range(STEPS):
        ts = BASE_TS + step * 10 + index
        points.setdefault(f"own.{index}.loss", set()).add((step, ts, 1.0 / (step + 1)))
        points.setdefault(f"own.{index}.acc", set()).add((step, ts, step / STEPS))
        points.setdefault("shared.loss", set()).add((step, ts, float(index * 1_000_000 + step)))
        points.setdefault("shared.sparse", set()).add((step // 50, ts, float(index)))
    return points


def test_eight_processes_logging_to_one_run_store_every_point_exactly_once(
    local_stack: StackProcess, tmp_path: Path
) -> None:
    client = TrackwayClient(local_stack.url)
    experiment = client.get_or_create_experiment(f"sdk-concurrency-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(experiment.experiment_id, "eight-writers").info.run_id
    children = []
    for index in range(PROCESSES):
        env = {
            **os.environ,
            "TRACKWAY_TRACKING_URI": local_stack.url,
            "TRACKWAY_HOME": str(tmp_path / f"home-{index}"),
            "TRACKWAY_FLUSH_INTERVAL": "0.05",
            "TRACKWAY_HANDLE_SIGNALS": "0",
            "TRACKWAY_MAX_ATTEMPTS": "8",
            "TRACKWAY_EXIT_FLUSH_TIMEOUT": "120",
        }
        children.append(
            subprocess.Popen(
                [sys.executable, "-c", CHILD, run_id, str(index), str(STEPS), str(BASE_TS)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
        )
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:  # start together
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    reports = []
    for child in children:
        out, _ = child.communicate(timeout=600)
        assert child.returncode == 0, out
        reports.append(json.loads(out.strip().splitlines()[-1]))

    retried: Counter[str] = Counter()
    totals: Counter[str] = Counter()
    for report in reports:
        retried.update(report["retried"])
        totals.update(report["stats"])
    print(f"\n{PROCESSES} processes x {STEPS} steps: retries by status {dict(retried)}; flusher totals {dict(totals)}")
    for report in reports:
        assert report["delivered"] and not report["offline"], report
        assert report["stats"]["rejected"] == 0 and report["stats"]["quarantined"] == 0, report
    for index in range(PROCESSES):  # nothing left behind in any spool
        spool = tmp_path / f"home-{index}" / "spool"
        assert not spool.exists() or not list(spool.rglob("*.json")), list(spool.rglob("*.json"))

    expected: dict[str, set[tuple[int, int, float]]] = {}
    for index in range(PROCESSES):
        for key, points in _expected_points(index).items():
            expected.setdefault(key, set()).update(points)
    for key, points in expected.items():
        history = [(m.step, m.timestamp, m.value) for m in client.get_metric_history(run_id, key)]
        assert len(history) == len(points), f"{key}: {len(history)} stored, {len(points)} logged"
        assert set(history) == points, key

    raw = client.rest.call("GET", "/api/2.0/mlflow/runs/get", {"run_id": run_id})["run"]["data"]["metrics"]
    latest = {m["key"]: (int(m["step"]), int(m["timestamp"]), float(m["value"])) for m in raw}
    assert latest == {key: max(points) for key, points in expected.items()}  # MLflow's max by (step, ts, value)
    run = client.get_run(run_id)
    assert run.data.params == {"lr": "0.01", **{f"param.{i}": str(i) for i in range(PROCESSES)}}
    assert run.data.tags["phase"] == "train"
    assert all(run.data.tags[f"tag.{i}"] == "300" for i in range(PROCESSES))
