"""A durable local queue of requests that could not be sent: one atomic JSON file per request.

Files are written to a temp name, fsynced and renamed, so a crash never leaves a half-written entry.
A file is deleted only after the server answered 2xx; a crash between the answer and the delete makes
the request replay once more, which is safe because log-batch, set-tag and update-run are idempotent.
Replayers lock each file (flock) so two processes sharing a spool do not send the same file at once.

Next to the queue live two records, one JSON file per request with the request and why it is there:
- `rejected/`: requests the server refused as invalid (a 4xx other than 401/403), with its
  `{error_code, message}`;
- `dead/`: spool files quarantined because they kept failing (or could not be read), with a report of
  the reason, the attempts and their times.
`requeue_dead()` and `requeue_rejected()` put them back in the queue.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trackway.errors import RestError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock, replays stay idempotent
    fcntl = None  # type: ignore[assignment]

_SEQ = itertools.count()
REJECTED, DEAD = "rejected", "dead"


def uri_tag(tracking_uri: str) -> str:
    return hashlib.sha256(tracking_uri.rstrip("/").encode()).hexdigest()[:12]


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def failure_record(error: Exception) -> dict[str, Any]:
    """What a report keeps of one failed attempt: when, and the server's status and `{error_code, message}`."""
    if isinstance(error, RestError):
        return {"time": utc_now(), "status": error.status, "error_code": error.error_code, "message": error.message}
    return {"time": utc_now(), "status": None, "error_code": type(error).__name__, "message": str(error)}


@dataclass(frozen=True)
class SpooledRequest:
    tracking_uri: str
    method: str
    path: str
    body: dict[str, Any]
    failures: tuple[dict[str, Any], ...] = ()  # charged failed attempts (see replay.py)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": 1,
            "tracking_uri": self.tracking_uri,
            "method": self.method,
            "path": self.path,
            "body": self.body,
        }
        if self.failures:
            data["failures"] = list(self.failures)
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> SpooledRequest:
        failures = tuple(raw.get("failures") or ())
        return cls(raw["tracking_uri"], raw["method"], raw["path"], raw["body"], failures)


@dataclass
class ReplayResult:
    sent: int = 0
    remaining: int = 0
    error: Exception | None = None
    rejected_files: list[Path] = field(default_factory=list)
    dead_files: list[Path] = field(default_factory=list)
    requeued: int = 0

    @property
    def rejected(self) -> int:
        return len(self.rejected_files)

    @property
    def dead(self) -> int:
        return len(self.dead_files)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[int | None]:
    """Yield an fd holding an exclusive lock on `path`, or None if another process holds it or it is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        yield None
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
        yield fd if os.fstat(fd).st_nlink > 0 else None
    finally:
        os.close(fd)


def _write_atomic(directory: Path, name: str, data: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    final, tmp = directory / name, directory / f".tmp-{name}"
    with open(tmp, "wb") as handle:
        handle.write(json.dumps(data).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    with contextlib.suppress(OSError):  # directory fsync makes the rename durable (POSIX only)
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return final


class Spool:
    """Unsent requests under one directory (default `~/.trackway/spool`, env TRACKWAY_SPOOL_DIR)."""

    def __init__(self, directory: Path, *, quarantine_after: int = 3):
        self.directory = directory
        self.quarantine_after = quarantine_after

    def _name(self, tracking_uri: str) -> str:
        return f"{time.time_ns():020d}-{uri_tag(tracking_uri)}-{os.getpid()}-{next(_SEQ):06d}.json"

    def write(self, request: SpooledRequest) -> Path:
        """Persist one request atomically and durably, at the back of the queue; return its file."""
        return _write_atomic(self.directory, self._name(request.tracking_uri), request.to_json())

    def pending(self, tracking_uri: str | None = None) -> list[Path]:
        """Spooled files, oldest first; only those for `tracking_uri` when given."""
        if not self.directory.is_dir():
            return []
        tag = f"-{uri_tag(tracking_uri)}-" if tracking_uri else ""
        # pathlib's glob matches dot files: leave out the `.tmp-` files still being written
        return sorted(p for p in self.directory.glob("*.json") if tag in p.name and not p.name.startswith("."))

    def read(self, path: Path) -> SpooledRequest:
        """The request in a spool file; ValueError, KeyError or OSError when it cannot be read."""
        return SpooledRequest.from_json(json.loads(path.read_bytes()))

    def requeue(self, path: Path, request: SpooledRequest) -> Path:
        """Move a request to the back of the queue with its updated failures (same request, new position)."""
        moved = self.write(request)
        path.unlink(missing_ok=True)
        return moved

    def reject(self, request: SpooledRequest, error: Exception, path: Path | None = None) -> Path:
        """Record a request the server refused as invalid under `rejected/` (and drop it from the queue)."""
        data = request.to_json() | {"rejected": failure_record(error)}
        record = _write_atomic(self.directory / REJECTED, path.name if path else self._name(request.tracking_uri), data)
        if path is not None:
            path.unlink(missing_ok=True)
        return record

    def quarantine(self, path: Path, request: SpooledRequest | None, reason: str) -> Path:
        """Move a spool file that keeps failing (or cannot be read) to `dead/`, with a report."""
        report = {
            "reason": reason,
            "attempts": len(request.failures) if request else 0,
            "failures": list(request.failures) if request else [],
            "quarantined_at": utc_now(),
        }
        dead = self.directory / DEAD
        if request is None:  # unreadable: keep the bytes as they are, the report beside them
            dead.mkdir(parents=True, exist_ok=True)
            os.replace(path, dead / path.name)
            _write_atomic(dead, f"{path.name}.report", report)
            return dead / path.name
        record = _write_atomic(dead, path.name, request.to_json() | {"quarantine": report})
        path.unlink(missing_ok=True)
        return record

    def dead_files(self) -> list[Path]:
        return sorted((self.directory / DEAD).glob("*.json"))

    def rejected_files(self) -> list[Path]:
        return sorted((self.directory / REJECTED).glob("*.json"))

    def requeue_dead(self) -> int:
        """Put every readable quarantined request back in the queue, its failure count reset; return how many."""
        return self._restore(DEAD)

    def requeue_rejected(self) -> int:
        """Put every rejected request back in the queue (once the cause is fixed); return how many."""
        return self._restore(REJECTED)

    def _restore(self, folder: str) -> int:
        moved = 0
        for path in sorted((self.directory / folder).glob("*.json")):
            try:
                request = self.read(path)
            except (ValueError, KeyError, OSError):
                continue
            _write_atomic(self.directory, path.name, replace(request, failures=()).to_json())
            path.unlink(missing_ok=True)
            (path.parent / f"{path.name}.report").unlink(missing_ok=True)
            moved += 1
        return moved

    def replay(
        self,
        send: Callable[[SpooledRequest], None],
        tracking_uri: str | None = None,
        *,
        healthy: Callable[[], bool] | None = None,
    ) -> ReplayResult:
        """Send spooled requests oldest first; see `trackway.replay` for what happens to failures."""
        from trackway.replay import replay

        return replay(self, send, tracking_uri, healthy=healthy)
