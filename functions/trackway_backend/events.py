"""The event envelope shared by every producer. Schemas: events/schemas/<detail-type>.json."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

ENVELOPE_VERSION = "1"


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class DomainEvent:
    """One change, written to the outbox in the same transaction as the change itself."""

    source: str
    detail_type: str
    data: dict[str, Any]
    actor: str | None = None
    event_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    timestamp: str = field(default_factory=_utc_now)

    @property
    def detail(self) -> dict[str, Any]:
        return {
            "version": ENVELOPE_VERSION,
            "event_id": self.event_id,
            "timestamp": self.timestamp,
            "actor": self.actor,
            "data": self.data,
        }
