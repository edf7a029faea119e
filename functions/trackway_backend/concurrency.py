"""The one concurrency policy of the stores: every read-modify-write and every throttled request is retried
with jittered exponential backoff, bounded in attempts and in time, and then answered 503 with Retry-After.

A lost race (`Conflict`) and throttling (`Throttled`) are both resolved here, so a valid write never reaches
the client as a 409: either it commits, or the service says it is shedding load and when to come back.
Nested runs (a read-modify-write whose reads are themselves retried when throttled) share the outermost
deadline, so the total time stays bounded.

Writers of one entity in one process (threads of a local gateway) also queue on a process-local lock
(`serialize=`), so they never race each other; the conditional write still arbitrates between processes
and Lambda environments. Without it, on a loaded host the read-to-write window of every attempt grows with
the number of racing threads and optimistic retries stop converging.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from trackway_backend.errors import Conflict, Throttled, TrackwayError, Unavailable

T = TypeVar("T")
RETRYABLE: tuple[type[TrackwayError], ...] = (Conflict, Throttled)
_deadline: ContextVar[float | None] = ContextVar("trackway_retry_deadline", default=None)


def _sleep(seconds: float) -> None:
    time.sleep(seconds)  # looked up at call time, so tests can patch time.sleep


@dataclass(frozen=True)
class RetryPolicy:
    """Full-jitter exponential backoff: attempt n waits uniform(0, min(max_delay, base_delay * 2**n))."""

    # Twenty writers of one run, on a loaded host where one read-modify-write takes ~100 ms, need a window
    # of about 2 s to stop colliding; 20 s keeps the whole call under the 28 s function timeout.
    max_attempts: int = 60
    max_seconds: float = 20.0
    # Waiting for this process's turn at an entity (see `serialize`) is bounded on its own: in Lambda the
    # turn is always free (one request per environment); a threaded local gateway may queue many writers
    # of one run behind a DynamoDB Local that is saturated by their history writes, so it waits longer
    # (still under the mlflow client's 120 s request timeout).
    max_wait_seconds: float = 45.0
    base_delay: float = 0.01
    max_delay: float = 2.0
    sleep: Callable[[float], None] = field(default=_sleep, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)
    rng: random.Random = field(default_factory=random.Random, compare=False)

    @property
    def retry_after(self) -> int:
        """Seconds a client should wait before retrying a request the policy gave up on."""
        return max(1, math.ceil(self.max_delay))

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))

    def delays(self) -> Iterator[float]:
        """The waits between attempts, as long as the budget lasts (for callers with their own loop)."""
        deadline = self.clock() + self.max_seconds
        for attempt in range(self.max_attempts - 1):
            remaining = deadline - self.clock()
            if remaining <= 0:
                return
            yield min(self.delay(attempt), remaining)

    def run(
        self,
        attempt: Callable[[], T],
        retry_on: tuple[type[TrackwayError], ...] = RETRYABLE,
        serialize: str | None = None,
    ) -> T:
        """`attempt()` until it returns; each `retry_on` error waits and tries again.

        `serialize` names the entity written: writers of the same name in this process take turns. When
        the attempts or the time run out, raises `Unavailable` (503, with `Retry-After`) chained to the
        last error. Other errors propagate at once.
        """
        with _WRITERS.turn(serialize, self.max_wait_seconds, self):
            outer = _deadline.get()
            own = self.clock() + self.max_seconds
            deadline = own if outer is None else min(outer, own)
            token = _deadline.set(deadline)
            try:
                return self._attempts(attempt, retry_on, deadline)
            finally:
                _deadline.reset(token)

    def _attempts(self, attempt: Callable[[], T], retry_on: tuple[type[TrackwayError], ...], deadline: float) -> T:
        for number in range(self.max_attempts):
            try:
                return attempt()
            except retry_on as exc:
                remaining = deadline - self.clock()
                if number + 1 == self.max_attempts or remaining <= 0:
                    raise self.exhausted(exc) from exc
                self.sleep(min(self.delay(number), remaining))
        raise AssertionError("unreachable: max_attempts >= 1")

    def request(self, call: Callable[[], T]) -> T:
        """One storage request, retried while it is throttled."""
        return self.run(call, retry_on=(Throttled,))

    def exhausted(self, cause: TrackwayError) -> Unavailable:
        reason = "too many concurrent writers" if isinstance(cause, Conflict) else "storage is throttling"
        return Unavailable(
            f"The service is temporarily unable to complete the request ({reason}); retry later",
            retry_after=self.retry_after,
        )


class _Turns:
    """One lock per entity name while anyone in this process writes it; forgotten when the last leaves.
    Reentrant, so a write nested in another write of the same entity on one thread cannot deadlock."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.RLock, int]] = {}

    @contextmanager
    def turn(self, name: str | None, timeout: float, policy: RetryPolicy) -> Iterator[None]:
        if name is None:
            yield
            return
        with self._guard:
            lock, users = self._locks.get(name, (threading.RLock(), 0))
            self._locks[name] = (lock, users + 1)
        try:
            if not lock.acquire(timeout=timeout):
                raise policy.exhausted(Conflict(f"{name} has too many writers in this process"))
            try:
                yield
            finally:
                lock.release()
        finally:
            with self._guard:
                lock, users = self._locks[name]
                if users == 1:
                    del self._locks[name]
                else:
                    self._locks[name] = (lock, users - 1)


_WRITERS = _Turns()
DEFAULT_POLICY = RetryPolicy()
