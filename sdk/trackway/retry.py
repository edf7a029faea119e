"""Exponential backoff with full jitter, bounded by attempts and an optional deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace

from trackway.errors import CONTENTION_STATUSES, RETRYABLE_STATUSES, RestError, UnreachableError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that failed in a retryable way.

    Delays are `uniform(0, min(max_delay, base_delay * 2**attempt))` ("full jitter"), so many clients
    recovering from the same outage do not hammer the API in lockstep. A `Retry-After` from the server is a
    floor (capped at `max_retry_after`, plus up to 25% jitter). `statuses` are the HTTP statuses worth
    retrying, and `network` says whether a connection error is.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0
    max_retry_after: float = 60.0
    statuses: frozenset[int] = RETRYABLE_STATUSES
    network: bool = True

    def delays(self, deadline: float | None = None) -> Iterator[float]:
        """Yield the sleep before each retry; stop after `max_attempts - 1` or when `deadline` would pass."""
        for attempt in range(self.max_attempts - 1):
            delay = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
            if deadline is not None and time.monotonic() + delay > deadline:
                return
            yield delay

    def pause(self, delay: float, retry_after: float) -> float:
        """The sleep before the next attempt: the jittered delay, or the server's Retry-After if longer."""
        if retry_after <= 0:
            return delay
        floor = min(retry_after, self.max_retry_after)
        return max(delay, floor * random.uniform(1.0, 1.25))

    def retries(self, error: Exception) -> bool:
        """Whether this policy retries `error`."""
        if isinstance(error, UnreachableError):
            return self.network
        if isinstance(error, RestError):
            return error.status in self.statuses
        return False

    def single(self) -> RetryPolicy:
        """The same policy with no retries: one attempt."""
        return replace(self, max_attempts=1)

    def contention_only(self) -> RetryPolicy:
        """The same policy retrying only 409/429/503: the server is up and asked to come back later."""
        return replace(self, statuses=CONTENTION_STATUSES, network=False)


NO_RETRY = RetryPolicy(max_attempts=1)
