"""The background logger: an in-memory queue drained by one thread into log-batch calls.

The training loop only appends a tuple to a deque (thread-safe, O(1), no lock). The flusher thread wakes
every `flush_interval`, when the queue reaches a batch's worth, or on `flush()`, and sends.

A batch, once formed, is only ever sent as it is: retries and replays send the same request, so the
server's idempotent log-batch absorbs a repeat. What happens when it is not accepted:
- connection errors, 408/409/429/5xx, 401/403: retried with jittered backoff (honouring Retry-After);
  still failing, the request goes to the spool and the logger turns *offline*: new batches spool straight
  away and the spool is probed with exponential backoff until the API answers, then replayed, oldest
  first (`trackway.replay`).
- 400: the server found something invalid. Unless the run itself refuses writes, the batch is bisected
  (a 400 stores nothing) until the bad entries are isolated; the good ones land, the bad ones are
  recorded under `<spool>/rejected/` with the server's reason, logged and counted in `stats`.
- any other 4xx: the whole request is recorded under `rejected/` the same way.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any

from trackway.batching import build_bodies, entry_count, halves, metric_entry
from trackway.errors import RestError, UnreachableError
from trackway.http import RestClient
from trackway.spool import Spool, SpooledRequest

log = logging.getLogger("trackway")

METRIC, PARAM, TAG, REQUEST, FLUSH = range(5)
LOG_BATCH = "/api/2.0/mlflow/runs/log-batch"
GET_RUN = "/api/2.0/mlflow/runs/get"
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
        self.stats = {
            "sent": 0,  # requests delivered live
            "spooled": 0,  # requests written to the spool
            "replayed": 0,  # spooled requests delivered
            "rejected": 0,  # entries (metrics, params, tags) the server refused as invalid, kept in rejected/
            "rejected_requests": 0,  # records written to rejected/
            "quarantined": 0,  # spool files moved to dead/ after failing again and again
        }
        self.errors: deque[Exception] = deque(maxlen=20)
        self._queue: deque[tuple[Any, ...]] = deque()
        self._wake = threading.Event()
        self._stopping = False
        self._offline = False
        self._probe_delay = probe_interval
        self._probe_at = 0.0
        self._accepted_since_replay = False
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

    def _deliver(self, method: str, path: str, body: dict[str, Any], *, force: bool = False) -> None:
        if self._offline and not force:
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
        self._accepted_since_replay = True

    def _rejected(self, method: str, path: str, body: dict[str, Any], exc: RestError) -> None:
        """A request refused as invalid: isolate the bad entries of a log-batch, record what is refused."""
        if path == LOG_BATCH and exc.status == 400 and entry_count(body) > 1 and self._run_accepts(body):
            for part in halves(body):  # a 400 stored nothing, so the halves carry no point already sent
                self._deliver(method, path, part, force=True)
            return
        self.errors.append(exc)
        record = self.spool.reject(SpooledRequest(self.client.base_uri, method, path, body), exc)
        self.stats["rejected"] += entry_count(body) if path == LOG_BATCH else 1
        self.stats["rejected_requests"] += 1
        log.warning(
            "trackway: the server rejected %s %s (%s %s: %s); the request is kept in %s",
            method,
            path,
            exc.status,
            exc.error_code,
            exc.message,
            record,
        )

    def _run_accepts(self, body: dict[str, Any]) -> bool:
        """False when the run itself refuses every write (gone or deleted): bisecting would not help."""
        try:
            run = self.client.call("GET", GET_RUN, {"run_id": body.get("run_id", "")}, deadline=self.deadline)
        except RestError as exc:
            return exc.status >= 500 or exc.retryable
        except UnreachableError:
            return True
        stage = run.get("run", {}).get("info", {}).get("lifecycle_stage", "active")
        return str(stage) == "active"

    def _spool(self, method: str, path: str, body: dict[str, Any]) -> None:
        self.spool.write(SpooledRequest(self.client.base_uri, method, path, body))
        self.stats["spooled"] += 1

    def _go_offline(self) -> None:
        self._offline = True
        self._probe_at = time.monotonic() + self._probe_delay
        self._probe_delay = min(self._probe_delay * 2, _MAX_PROBE_DELAY)

    def _replay(self) -> None:
        # Busy answers (409/429/503) are retried with backoff; other failures end the attempt at once.
        policy = self.client.retry.contention_only()

        refused: list[SpooledRequest] = []

        def send(request: SpooledRequest) -> None:
            try:
                self.client.call(request.method, request.path, request.body, retry=policy, deadline=self.deadline)
            except RestError as exc:
                if exc.retryable or exc.is_auth or request.path != LOG_BATCH:
                    raise
                refused.append(request)
                self._rejected(request.method, request.path, request.body, exc)  # isolate, as when live

        healthy = self._accepted_since_replay
        self._accepted_since_replay = False
        result = self.spool.replay(send, self.client.base_uri, healthy=lambda: healthy)
        self.stats["replayed"] += result.sent - len(refused)
        self.stats["quarantined"] += result.dead
        self.stats["rejected_requests"] += result.rejected
        for path in result.rejected_files:
            log.warning("trackway: the server rejected a spooled request; kept in %s (%s)", path, result.error)
        for path in result.dead_files:
            log.warning("trackway: a spooled request kept failing; quarantined in %s (%s)", path, result.error)
        if result.remaining:
            self._go_offline()
        else:
            if self._offline:
                log.info("trackway: API is back; spool replayed")
            self._offline = False
            self._probe_delay = self.probe_interval
