"""Where `trackway events tail` starts: now, the beginning, a cursor, or a point in time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from trackway.errors import ConfigurationError

_AGO = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class Since:
    """Exactly one of: `now` (only new events), `cursor` (after that cursor; "0" is the beginning), or
    `moment` (events stamped at or after it)."""

    now: bool = False
    cursor: str | None = None
    moment: datetime | None = None


def parse_since(raw: str | None, clock: datetime | None = None) -> Since:
    """`now` (the default), `start`, a cursor (digits), a duration ago (`30s`, `10m`, `2h`, `1d`) or an ISO
    8601 time (UTC when it names no zone)."""
    text = (raw or "now").strip().lower()
    if text == "now":
        return Since(now=True)
    if text in ("start", "beginning"):
        return Since(cursor="0")
    if text.isdigit():
        return Since(cursor=text)
    if match := _AGO.match(text):
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        return Since(moment=(clock or datetime.now(UTC)) - timedelta(seconds=seconds))
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00") if raw else "")
    except ValueError:
        raise ConfigurationError(
            f"--since {raw!r}: use now, start, a cursor (e.g. 42), a duration (10m, 2h) or an ISO time"
        ) from None
    return Since(moment=moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def stamped_at(event: dict[str, Any]) -> datetime | None:
    """When an event happened: its detail's millisecond timestamp, else the envelope's `time`."""
    detail = event.get("detail")
    raw = (detail.get("timestamp") if isinstance(detail, dict) else None) or event.get("time")
    if not isinstance(raw, str):
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
