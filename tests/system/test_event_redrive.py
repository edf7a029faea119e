"""No event lost, through the local stack: the bus goes down while 20 writers make registry and tracking
changes at once. The first ten write while the stream poller still runs (it gives up on their records after
its retries: the dead-letter file); the poller then stalls, the other ten write, and the stream's records are
trimmed unpublished (as after 24 hours). The bus comes back, nothing arrives by itself, and redrive puts
every event written on the bus exactly once, by event_id. Prints the drill's figures."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests

from trackway_backend.local.process import StackProcess

WRITERS = 20
API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def drill_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """A stack of its own, with the fault drill routes on (the shared one has them off)."""
    stack = StackProcess(tmp_path_factory.mktemp("trackway-redrive"), env={"TRACKWAY_LOCAL_FAULTS": "1"})
    stack.start(timeout=300)
    try:
        yield stack
    finally:
        stack.stop()


def post(url: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
    response = requests.post(f"{url}{path}", json=body, params=params, timeout=120)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def delivered(url: str, after: str) -> list[str]:
    body = requests.get(f"{url}/_local/events", params={"after": after, "limit": 10_000}, timeout=30).json()
    return [event["detail"]["event_id"] for event in body["events"]]


def outbox(url: str) -> dict[str, bool]:
    body = requests.get(f"{url}/_local/events/outbox", timeout=60).json()
    return {item["event_id"]: item["published"] for item in body["events"]}


def dead_lettered(data_dir: Path) -> set[str]:
    """The event ids of the records the local poller gave up on (its dead-letter file keeps whole records)."""
    path = data_dir / "events" / "publisher-dlq.jsonl"
    lines = path.read_text().splitlines() if path.exists() else []
    return {json.loads(line)["dynamodb"]["NewImage"]["pk"]["S"].removeprefix("EVENT#") for line in lines}


def writer(url: str, n: int) -> None:
    """Four events: a model created, a run finished, a model created and deleted."""
    post(url, f"{API}/registered-models/create", {"name": f"drill-{n}"})
    run = post(url, f"{API}/runs/create", {"experiment_id": "0", "start_time": 1})["run"]["info"]["run_id"]
    post(url, f"{API}/runs/update", {"run_id": run, "status": "FINISHED", "end_time": 2})
    post(url, f"{API}/registered-models/create", {"name": f"drill-{n}-gone"})
    response = requests.delete(f"{url}{API}/registered-models/delete", json={"name": f"drill-{n}-gone"}, timeout=120)
    assert response.status_code == 200, response.text


def test_a_bus_outage_past_the_stream_retention_loses_no_event(drill_stack: StackProcess) -> None:
    url = drill_stack.url
    cursor = requests.get(f"{url}/_local/events", params={"after": 0, "limit": 10_000}, timeout=30).json()["cursor"]
    assert post(url, "/_local/faults/bus", state="down") == {"state": "down"}
    half = WRITERS // 2
    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(lambda n: writer(url, n), range(half)))
        assert post(url, "/_local/faults/stream", state="paused") == {"state": "paused"}
        list(pool.map(lambda n: writer(url, n), range(half, WRITERS)))
    written = outbox(url)
    assert len(written) == 4 * WRITERS and not any(written.values())
    dropped = post(url, "/_local/faults/stream-trim")["dropped"]
    dead_letters = dead_lettered(drill_stack.data_dir)
    assert dropped >= 4 * half and dropped + len(dead_letters) == len(written)
    assert dead_letters <= set(written)
    assert post(url, "/_local/faults/stream", state="running") == {"state": "running"}
    assert post(url, "/_local/faults/bus", state="up") == {"state": "up"}
    time.sleep(2)  # the stream has nothing left to deliver: nothing arrives by itself
    before_redrive = delivered(url, cursor)
    assert before_redrive == []
    report = post(url, "/_local/events/redrive", older_than=0)
    after = delivered(url, cursor)
    counts = Counter(after)
    duplicates = sum(count - 1 for count in counts.values())
    print(
        f"\nredrive drill: {WRITERS} writers, {len(written)} events written, "
        f"{len(written) - len(before_redrive)} not delivered before redrive "
        f"({dropped} trimmed from the stream, {len(dead_letters)} sent to its dead-letter file), "
        f"{report['republished']} republished, {len(counts)} distinct delivered, {duplicates} duplicates"
    )
    assert set(counts) == set(written)
    assert duplicates == 0
    assert report["republished"] == report["pending"] == len(written)
    assert not any(published is False for published in outbox(url).values())
    assert post(url, "/_local/events/redrive", older_than=0)["republished"] == 0
    assert Counter(delivered(url, cursor)) == counts


def test_the_fault_drill_routes_refuse_bad_input(drill_stack: StackProcess) -> None:
    url = drill_stack.url
    response = requests.post(f"{url}/_local/faults/bus", params={"state": "sideways"}, timeout=30)
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    response = requests.post(f"{url}/_local/events/redrive", params={"older_than": "-1"}, timeout=30)
    assert response.status_code == 400 and response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert requests.get(f"{url}/_local/events/redrive", timeout=30).status_code == 405


def test_trackway_events_redrive_asks_the_local_stack(
    drill_stack: StackProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    from trackway.cli.main import main

    capsys.readouterr()
    code = main(["--tracking-uri", drill_stack.url, "events", "redrive", "--older-than", "0", "--limit", "50"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["not_accepted"] == 0 and set(report) >= {"pending", "republished"}
