"""Exponential backoff with full jitter, bounded by attempts and an optional deadline."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry a request that failed in a retryable way.

    Delays are `uniform(0, min(max_delay, base_delay * 2**attempt))` ("full jitter"), so many clients
    recovering from the same outage do not hammer the API in lockstep.
    """

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 20.0

    def delays(self, deadline: float | None = None) -> Iterator[float]:
        """Yield the sleep before each retry; stop after `max_attempts - 1` or when `deadline` would pass."""
        for attempt in range(self.max_attempts - 1):
            delay = random.uniform(0, min(self.max_delay, self.base_delay * 2**attempt))
            if deadline is not None and time.monotonic() + delay > deadline:
                return
            yield delay

    def single(self) -> RetryPolicy:
        """The same policy with no retries: one attempt."""
        return replace(self, max_attempts=1)


NO_RETRY = RetryPolicy(max_attempts=1)
