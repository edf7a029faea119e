"""The local bus's event log: bounded in memory and on disk, read by cursor (`GET /_local/events`)."""

from __future__ import annotations

import json
import threading
from collections import deque
from pathlib import Path
from typing import Any

DEFAULT_CAPACITY = 10_000


class EventLog:
    """Every event the local bus accepted, numbered 1, 2, … across restarts. Keeps the last `capacity` in
    memory and on disk (the file is compacted when it holds twice that)."""

    def __init__(self, path: Path | None = None, capacity: int = DEFAULT_CAPACITY) -> None:
        self._path = path
        self._capacity = capacity
        self._entries: deque[tuple[int, dict[str, Any]]] = deque(maxlen=capacity)
        self._changed = threading.Condition()
        self._lines = 0
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._load(path)

    @property
    def last(self) -> int:
        return self._entries[-1][0] if self._entries else 0

    def append(self, event: dict[str, Any]) -> int:
        with self._changed:
            sequence = self.last + 1
            self._entries.append((sequence, event))
            if self._path is not None:
                with self._path.open("a", encoding="utf-8") as file:
                    file.write(json.dumps({"seq": sequence, "event": event}, separators=(",", ":")) + "\n")
                self._lines += 1
                if self._lines > 2 * self._capacity:
                    self._compact(self._path)
            self._changed.notify_all()
            return sequence

    def after(self, cursor: int, limit: int = 500, wait: float = 0.0) -> tuple[list[dict[str, Any]], int]:
        """Events after `cursor` (at most `limit`) and the cursor to pass next; waits up to `wait` seconds
        for one to arrive when there are none yet (a long poll)."""
        with self._changed:
            if wait > 0 and self.last <= cursor:
                self._changed.wait_for(lambda: self.last > cursor, timeout=wait)
            found = [(sequence, event) for sequence, event in self._entries if sequence > cursor][:limit]
        if not found:
            return [], max(cursor, 0)
        return [event for _, event in found], found[-1][0]

    def _load(self, path: Path) -> None:
        if not path.exists():
            return
        with path.open(encoding="utf-8") as file:
            for line in file:
                try:
                    entry = json.loads(line)
                    self._entries.append((int(entry["seq"]), entry["event"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by a crash
                self._lines += 1

    def _compact(self, path: Path) -> None:
        temporary = path.with_suffix(".tmp")
        with temporary.open("w", encoding="utf-8") as file:
            for sequence, event in self._entries:
                file.write(json.dumps({"seq": sequence, "event": event}, separators=(",", ":")) + "\n")
        temporary.replace(path)
        self._lines = len(self._entries)
