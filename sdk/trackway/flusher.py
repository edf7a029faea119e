"""The background logger: an in-memory queue drained by one thread into log-batch calls.

The training loop only appends a tuple to a deque (thread-safe, O(1), no lock). The flusher thread wakes
every `flush_interval`, when the queue reaches a batch's worth, or on `flush()`, and sends. A request that
cannot be delivered (network down, 408/429/5xx or 401/403 after retries) goes to the spool, and the
logger turns *offline*: new batches spool straight away and the spool is probed with exponential backoff
until the API answers, then replayed, oldest first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from trackway.batching import build_bodies, halves, metric_entry
from trackway.errors import RestError, UnreachableError
from trackway.http import RestClient
from trackway.retry import NO_RETRY
from trackway.spool import Spool, SpooledRequest

log = logging.getLogger("trackway")

METRIC, PARAM, TAG, REQUEST, FLUSH = range(5)
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"
BATCH_TRIGGER = 1000
_MAX_PROBE_DELAY = 60.0


class BackgroundLogger:
    """Queues metrics/params/tags and delivers them from a daemon thread; see the module docstring."""

    def __init__(self, client: RestClient, spool: Spool, *, flush_interval: float = 2.0, probe_interval: float = 5.0):
        self.client = client
        self.spool = spool
        self.flush_interval = flush_interval
        self.probe_interval = probe_interval
        self.deadline: float | None = None  # monotonic time after which sends stop retrying (shutdown)
        self.stats = {"sent": 0, "spooled": 0, "replayed": 0, "dropped": 0}
        self.errors: deque[Exception] = deque(maxlen=20)
        self._queue: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._offline = False
        self._probe_delay = probe_interval
        self._probe_at = 0.0
        self._thread = threading.Thread(target=self._run, name="trackway-flusher", daemon=True)

    def start(self) -> BackgroundLogger:
        self._thread.start()
        return self

    @property
    def offline(self) -> bool:
        return self._offline

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        queue = self._queue
        queue.append((METRIC, run_id, key, value, timestamp, step))
        if len(queue) >= BATCH_TRIGGER and not self._wake.is_set():
            self._wake.set()

    def log_param(self, run_id: str, key: str, value: str) -> None:
        self._queue.append((PARAM, run_id, key, value))

    def set_tag(self, run_id: str, key: str, value: str) -> None:
        self._queue.append((TAG, run_id, key, value))

    def submit(self, method: str, path: str, body: dict[str, Any]) -> None:
        """Queue an idempotent request to send, in order, after everything logged before it."""
        self._queue.append((REQUEST, method, path, body))

    def flush(self, timeout: float | None = None) -> bool:
        """Block until everything queued so far is delivered or spooled; False on timeout."""
        if not self._thread.is_alive():
            self._drain()
            return True
        done = threading.Event()
        self._queue.append((FLUSH, done))
        self._wake.set()
        return done.wait(timeout)

    def close(self, timeout: float = 15.0) -> bool:
        """Flush with retries bounded by `timeout` (then spool the rest) and stop the thread."""
        self.deadline = time.monotonic() + timeout
        flushed = self.flush(timeout + 5.0)
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(5.0)
        return flushed

    def _run(self) -> None:
        self._replay()
        while True:
            wait = self.flush_interval
            if self._offline:
                wait = max(0.0, min(wait, self._probe_at - time.monotonic()))
            self._wake.wait(wait)
            self._wake.clear()
            try:
                self._drain()
                if self._offline and time.monotonic() >= self._probe_at:
                    self._replay()
            except Exception as exc:  # the flusher must never die: record and keep going
                log.exception("trackway flusher error")
                self.errors.append(exc)
            if self._stopping and not self._queue:
                if self._offline:  # last chance before exit: the API may be back
                    self._replay()
                return

    def _drain(self) -> None:
        groups: dict[str, tuple[list[Any], list[Any], list[Any]]] = {}
        while self._queue:
            item = self._queue.popleft()
            kind = item[0]
            if kind == METRIC:
                group = groups.get(item[1]) or groups.setdefault(item[1], ([], [], []))
                group[0].append(metric_entry(item[2], item[3], item[4], item[5]))
            elif kind in (PARAM, TAG):
                groups.setdefault(item[1], ([], [], []))[kind].append({"key": item[2], "value": item[3]})
            else:
                self._send_groups(groups)
                groups = {}
                if kind == REQUEST:
                    self._deliver(item[1], item[2], item[3])
                else:
                    item[1].set()
        self._send_groups(groups)

    def _send_groups(self, groups: dict[str, tuple[list[Any], list[Any], list[Any]]]) -> None:
        for run_id, (metrics, params, tags) in groups.items():
            for body in build_bodies(run_id, metrics, params, tags):
                self._deliver("POST", LOG_BATCH, body)

    def _deliver(self, method: str, path: str, body: dict[str, Any]) -> None:
        if self._offline:
            self._spool(method, path, body)
            return
        try:
            self.client.call(method, path, body, deadline=self.deadline)
        except (UnreachableError, RestError) as exc:
            if isinstance(exc, RestError) and not (exc.retryable or exc.is_auth):
                self._rejected(method, path, body, exc)
                return
            log.warning("trackway: API unavailable (%s); spooling to %s", exc, self.spool.directory)
            self.errors.append(exc)
            self._spool(method, path, body)
            self._go_offline()
            return
        self.stats["sent"] += 1

    def _rejected(self, method: str, path: str, body: dict[str, Any], exc: RestError) -> None:
        parts = halves(body) if path == LOG_BATCH else []
        if not parts:  # a single entry (or another request) the server refuses: drop it, loudly
            log.warning("trackway: server rejected %s %s: %s", method, path, exc)
            self.errors.append(exc)
            self.stats["dropped"] += 1
            return
        for part in parts:  # isolate the bad entries so the good ones still land
            self._deliver(method, path, part)

    def _spool(self, method: str, path: str, body: dict[str, Any]) -> None:
        self.spool.write(SpooledRequest(self.client.base_uri, method, path, body))
        self.stats["spooled"] += 1

    def _go_offline(self) -> None:
        self._offline = True
        self._probe_at = time.monotonic() + self._probe_delay
        self._probe_delay = min(self._probe_delay * 2, _MAX_PROBE_DELAY)

    def _replay(self) -> None:
        def send(request: SpooledRequest) -> None:
            self.client.call(request.method, request.path, request.body, retry=NO_RETRY)

        result = self.spool.replay(send, self.client.base_uri)
        self.stats["replayed"] += result.sent
        for path in result.dead_files:
            log.warning("trackway: spooled request rejected by the server, moved to %s (%s)", path, result.error)
        if result.remaining:
            self._go_offline()
        else:
            if self._offline:
                log.info("trackway: API is back; spool replayed")
            self._offline = False
            self._probe_delay = self.probe_interval
