"""The one concurrency policy of the stores: every read-modify-write and every throttled request is retried
with jittered exponential backoff, bounded in attempts and in time, and then answered 503 with Retry-After.

A lost race (`Conflict`) and throttling (`Throttled`) are both resolved here, so a valid write never reaches
the client as a 409: either it commits, or the service says it is shedding load and when to come back.
Nested runs (a read-modify-write whose reads are themselves retried when throttled) share the outermost
deadline, so the total time stays bounded.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
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

    max_attempts: int = 40
    max_seconds: float = 12.0
    base_delay: float = 0.01
    max_delay: float = 0.5
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

    def run(self, attempt: Callable[[], T], retry_on: tuple[type[TrackwayError], ...] = RETRYABLE) -> T:
        """`attempt()` until it returns; each `retry_on` error waits and tries again.

        When the attempts or the time run out, raises `Unavailable` (503, with `Retry-After`) chained to
        the last error. Other errors propagate at once.
        """
        outer = _deadline.get()
        own = self.clock() + self.max_seconds
        deadline = own if outer is None else min(outer, own)
        token = _deadline.set(deadline)
        try:
            for number in range(self.max_attempts):
                try:
                    return attempt()
                except retry_on as exc:
                    remaining = deadline - self.clock()
                    if number + 1 == self.max_attempts or remaining <= 0:
                        raise self.exhausted(exc) from exc
                    self.sleep(min(self.delay(number), remaining))
            raise AssertionError("unreachable: max_attempts >= 1")
        finally:
            _deadline.reset(token)

    def request(self, call: Callable[[], T]) -> T:
        """One storage request, retried while it is throttled."""
        return self.run(call, retry_on=(Throttled,))

    def exhausted(self, cause: TrackwayError) -> Unavailable:
        reason = "too many concurrent writers" if isinstance(cause, Conflict) else "storage is throttling"
        return Unavailable(
            f"The service is temporarily unable to complete the request ({reason}); retry later",
            retry_after=self.retry_after,
        )


DEFAULT_POLICY = RetryPolicy()
