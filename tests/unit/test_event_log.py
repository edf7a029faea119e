"""The local bus's event log: cursors, bounds, persistence and long polls."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from trackway_backend.local.event_log import EventLog


def event(n: int) -> dict[str, int]:
    return {"n": n}


def test_cursor_pages_through_events(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    for n in range(5):
        log.append(event(n))
    first, cursor = log.after(0, limit=3)
    rest, last = log.after(cursor)
    assert (first, cursor, rest, last) == ([event(0), event(1), event(2)], 3, [event(3), event(4)], 5)
    assert log.after(last) == ([], 5)


def test_events_and_numbering_survive_a_restart(tmp_path: Path) -> None:
    log = EventLog(tmp_path / "events.jsonl")
    log.append(event(1))
    log.append(event(2))
    reopened = EventLog(tmp_path / "events.jsonl")
    assert reopened.after(0) == ([event(1), event(2)], 2)
    assert reopened.append(event(3)) == 3


def test_memory_and_disk_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    log = EventLog(path, capacity=10)
    for n in range(35):
        log.append(event(n))
    assert log.after(0)[0] == [event(n) for n in range(25, 35)]
    assert len(path.read_text().splitlines()) <= 20
    assert EventLog(path, capacity=10).after(0)[0] == [event(n) for n in range(25, 35)]


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    EventLog(path).append(event(1))
    with path.open("a") as file:
        file.write('{"seq": 2, "ev')
    assert EventLog(path).after(0) == ([event(1)], 1)


def test_a_long_poll_returns_as_soon_as_an_event_arrives() -> None:
    log = EventLog()
    threading.Timer(0.1, log.append, [event(1)]).start()
    started = time.monotonic()
    assert log.after(0, wait=5) == ([event(1)], 1)
    assert time.monotonic() - started < 2
