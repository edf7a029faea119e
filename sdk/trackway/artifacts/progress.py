"""A tiny byte-progress bar on stderr, shown only when stderr is a terminal."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

_MIB = 1024 * 1024


class Progress:
    """Thread-safe progress for one transfer; `enabled=None` means "only on a TTY"."""

    def __init__(self, total: int, label: str, *, stream: TextIO | None = None, enabled: bool | None = None):
        self.total = total
        self.label = label
        self.done = 0
        self._stream = stream or sys.stderr
        self.enabled = self._stream.isatty() if enabled is None else enabled
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_draw = 0.0

    def update(self, n: int) -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if self.enabled and (now - self._last_draw >= 0.1 or self.done >= self.total):
                self._last_draw = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        fraction = self.done / self.total if self.total else 1.0
        bar = "#" * int(fraction * 24)
        rate = self.done / max(now - self._started, 1e-6) / _MIB
        self._stream.write(
            f"\r{self.label[:40]:<40} [{bar:<24}] {fraction:6.1%} "
            f"{self.done / _MIB:8.1f}/{self.total / _MIB:.1f} MiB {rate:7.1f} MiB/s"
        )
        self._stream.flush()

    def close(self) -> None:
        if self.enabled:
            with self._lock:
                self._draw(time.monotonic())
                self._stream.write("\n")
                self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
