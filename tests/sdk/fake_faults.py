"""Misbehaviour on demand for the fake MLflow server: error answers by rule, and a lagging read replica.

A rule answers an error to the requests whose path matches: the next N of them, a fraction of them, or,
with a body predicate, one specific batch forever. Answers carry MLflow's `{error_code, message}` and, when
asked, a `Retry-After` header, the way trackway's API sheds load.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ERROR_CODES = {
    400: "INVALID_PARAMETER_VALUE",
    404: "RESOURCE_DOES_NOT_EXIST",
    409: "RESOURCE_CONFLICT",
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "TEMPORARILY_UNAVAILABLE",
}


class Reply(Exception):
    def __init__(self, status: int, code: str, message: str = "", headers: dict[str, str] | None = None):
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


@dataclass
class FaultRule:
    pattern: re.Pattern[str]
    status: int
    times: int | None = 1  # how many more requests to fail; None: no limit
    fraction: float = 1.0  # the chance that a matching request fails
    retry_after: float | None = None
    batch: Callable[[dict[str, Any]], bool] | None = None  # only the request bodies this accepts
    code: str | None = None
    hits: int = 0

    def reply(self) -> Reply:
        headers = {} if self.retry_after is None else {"Retry-After": f"{self.retry_after:g}"}
        code = self.code or ERROR_CODES.get(self.status, "BAD_REQUEST" if self.status < 500 else "INTERNAL_ERROR")
        return Reply(self.status, code, f"injected {self.status}", headers)


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    random: random.Random = field(default_factory=lambda: random.Random(1234))

    def check(self, path: str, body: dict[str, Any] | None) -> None:
        """Raise the Reply of the first rule that fires for this request."""
        for rule in self.rules:
            if rule.times is not None and rule.times <= 0:
                continue
            if not rule.pattern.search(path):
                continue
            if rule.batch is not None and (body is None or not rule.batch(body)):
                continue
            if rule.fraction < 1.0 and self.random.random() >= rule.fraction:
                continue
            if rule.times is not None:
                rule.times -= 1
            rule.hits += 1
            raise rule.reply()


@dataclass
class StaleReads:
    """Reads served from a replica that lags: after a write, the next `lag` reads see the state before it."""

    lag: int = 0
    left: int = 0
    replica: Any = None

    def before_write(self, snapshot: Callable[[], Any]) -> None:
        if self.lag <= 0:
            return
        if self.replica is None:
            self.replica = snapshot()
        self.left = self.lag

    def view(self, live: Any) -> Any:
        if self.replica is None:
            return live
        if self.left > 0:
            self.left -= 1
            return self.replica
        self.replica = None
        return live
