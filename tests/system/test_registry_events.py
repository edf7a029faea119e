"""Registry concurrency and events on the local stack (DynamoDB Local, its stream, the in-process bus)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import mlflow
import pytest
import requests

from trackway_backend.local.process import StackProcess


class Subscriber(threading.Thread):
    """Long-polls `/_local/events` (what `trackway events tail` reads) and notes when each event arrives."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self._url = f"{url}/_local/events"
        self._cursor = requests.get(self._url, params={"after": 0, "limit": 10_000}, timeout=10).json()["cursor"]
        self._halt = threading.Event()
        self._arrived = threading.Condition()
        self.events: list[tuple[float, dict[str, Any]]] = []

    def run(self) -> None:
        while not self._halt.is_set():
            body = requests.get(self._url, params={"after": self._cursor, "wait": 1}, timeout=10).json()
            now = time.perf_counter()
            with self._arrived:
                self.events += [(now, event) for event in body["events"]]
                self._arrived.notify_all()
            self._cursor = body["cursor"]

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def wait_for(self, count: int, model: str, timeout: float = 30) -> list[tuple[float, dict[str, Any]]]:
        """The registry's events about `model` (approval and deployment react with their own), once `count`."""

        def found() -> list[tuple[float, dict[str, Any]]]:
            return [
                (at, e)
                for at, e in self.events
                if e["source"] == "trackway.registry" and e["detail"]["data"].get("name") == model
            ]

        with self._arrived:
            self._arrived.wait_for(lambda: len(found()) >= count, timeout)
        return found()


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    return mlflow.MlflowClient(local_stack.url, local_stack.url)


@pytest.fixture
def artifacts(client: mlflow.MlflowClient) -> str:
    """A run's artifact URI: versions are registered from paths below it (a source must lie in its run)."""
    return str(client.create_run("0").info.artifact_uri)


@pytest.fixture
def subscriber(local_stack: StackProcess) -> Any:
    listener = Subscriber(local_stack.url)
    listener.start()
    yield listener
    listener.stop()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_ten_concurrent_registrations_get_versions_one_to_ten_once(
    client: mlflow.MlflowClient, subscriber: Subscriber, artifacts: str
) -> None:
    name = unique("concurrent")
    client.create_registered_model(name)
    with ThreadPoolExecutor(max_workers=10) as pool:
        created = list(pool.map(lambda i: client.create_model_version(name, f"{artifacts}/{i}").version, range(10)))
    assert sorted(created, key=int) == [str(n) for n in range(1, 11)]
    assert sorted(int(v.version) for v in client.search_model_versions(f"name = '{name}'")) == list(range(1, 11))
    events = [e for _, e in subscriber.wait_for(11, name) if e["detail-type"] == "model_version.created"]
    assert sorted(int(e["detail"]["data"]["version"]) for e in events) == list(range(1, 11))


def test_twenty_concurrent_alias_moves_end_in_the_state_of_the_last_event(
    client: mlflow.MlflowClient, subscriber: Subscriber, artifacts: str
) -> None:
    name = unique("moves")
    client.create_registered_model(name)
    for index in range(20):
        client.create_model_version(name, f"{artifacts}/{index}")
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(lambda v: client.set_registered_model_alias(name, "champion", str(v)), range(1, 21)))
    final = client.get_model_version_by_alias(name, "champion").version
    moves = sorted(
        (
            e["detail"]["data"]
            for _, e in subscriber.wait_for(41, name)
            if e["detail-type"].startswith("model_version_alias")
        ),
        key=lambda data: data["revision"],
    )
    assert len(moves) == 20  # each move changed the alias, so each emitted exactly one event
    assert moves[-1]["version"] == final
    # No lost update: each move saw the version the previous one set.
    assert [m["previous_version"] for m in moves] == [None] + [m["version"] for m in moves[:-1]]


def test_every_change_emits_one_event_and_alias_events_arrive_quickly(
    client: mlflow.MlflowClient, subscriber: Subscriber, artifacts: str, capsys: pytest.CaptureFixture[str]
) -> None:
    name = unique("latency")
    client.create_registered_model(name)
    client.create_model_version(name, f"{artifacts}/1")
    client.create_model_version(name, f"{artifacts}/2")
    client.set_model_version_tag(name, "1", "k", "v")
    client.delete_model_version_tag(name, "1", "k")
    arrived = subscriber.wait_for(5, name)
    assert [e["detail-type"] for _, e in arrived] == [
        "registered_model.created",
        "model_version.created",
        "model_version.created",
        "model_version_tag.set",
        "model_version_tag.deleted",
    ]
    latencies = []
    for move in range(20):
        version = str(move % 2 + 1)
        committed = time.perf_counter()
        client.set_registered_model_alias(name, "candidate", version)  # not the deploy alias: no deployment runs
        returned = time.perf_counter()
        [(at, event)] = subscriber.wait_for(6 + move, name)[-1:]
        assert (event["detail-type"], event["detail"]["data"]["version"]) == ("model_version_alias.created", version)
        latencies.append((at - returned, at - committed))
    after_return = statistics.median(latency for latency, _ in latencies)
    after_call = statistics.median(latency for _, latency in latencies)
    with capsys.disabled():
        print(
            f"\nalias change -> event at a subscriber, median of 20: {after_return * 1000:.0f} ms after the "
            f"API call returned, {after_call * 1000:.0f} ms after it was made"
        )
    assert after_return < 2.0


def test_trackway_events_tail_prints_an_alias_move(
    client: mlflow.MlflowClient, local_stack: StackProcess, artifacts: str
) -> None:
    name = unique("tail")
    cursor = requests.get(f"{local_stack.url}/_local/events", params={"limit": 10_000}, timeout=10).json()["cursor"]
    client.create_registered_model(name)
    client.create_model_version(name, f"{artifacts}/1")
    client.set_registered_model_alias(name, "champion", "1")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        tail = subprocess.run(
            [
                sys.executable,
                "-m",
                "trackway",
                "--tracking-uri",
                local_stack.url,
                "events",
                "tail",
                "--once",
                "--after",
                cursor,
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        lines = [json.loads(line) for line in tail.stdout.splitlines()]
        moves = [
            e
            for e in lines
            if e["detail-type"] == "model_version_alias.created" and e["detail"]["data"]["name"] == name
        ]
        if moves:
            assert moves[0]["detail"]["data"]["alias"] == "champion"
            return
        time.sleep(0.2)
    pytest.fail("the alias move never showed up in `trackway events tail`")
