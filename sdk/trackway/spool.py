"""A durable local queue of requests that could not be sent: one atomic JSON file per request.

Files are written to a temp name, fsynced and renamed, so a crash never leaves a half-written entry.
A file is deleted only after the server answered 2xx; a crash between the answer and the delete makes
the request replay once more, which is safe because log-batch, set-tag and update-run are idempotent.
Replayers lock each file (flock) so two processes sharing a spool do not send the same file at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trackway.errors import RestError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process lock, replays stay idempotent
    fcntl = None  # type: ignore[assignment]

_SEQ = itertools.count()


def uri_tag(tracking_uri: str) -> str:
    return hashlib.sha256(tracking_uri.rstrip("/").encode()).hexdigest()[:12]


@dataclass(frozen=True)
class SpooledRequest:
    tracking_uri: str
    method: str
    path: str
    body: dict[str, Any]


@dataclass
class ReplayResult:
    sent: int = 0
    dead: int = 0
    remaining: int = 0
    error: Exception | None = None
    dead_files: list[Path] = field(default_factory=list)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[int | None]:
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


class Spool:
    """Unsent requests under one directory (default `~/.trackway/spool`, env TRACKWAY_SPOOL_DIR)."""

    def __init__(self, directory: Path):
        self.directory = directory

    def write(self, request: SpooledRequest) -> Path:
        """Persist one request atomically and durably; return its file."""
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{uri_tag(request.tracking_uri)}-{os.getpid()}-{next(_SEQ):06d}.json"
        final, tmp = self.directory / name, self.directory / f".tmp-{name}"
        data = json.dumps(
            {
                "version": 1,
                "tracking_uri": request.tracking_uri,
                "method": request.method,
                "path": request.path,
                "body": request.body,
            }
        ).encode()
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        with contextlib.suppress(OSError):  # directory fsync makes the rename durable (POSIX only)
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return final

    def pending(self, tracking_uri: str | None = None) -> list[Path]:
        """Spooled files, oldest first; only those for `tracking_uri` when given."""
        if not self.directory.is_dir():
            return []
        tag = f"-{uri_tag(tracking_uri)}-" if tracking_uri else ""
        return sorted(p for p in self.directory.glob("*.json") if tag in p.name)

    def replay(self, send: Callable[[SpooledRequest], None], tracking_uri: str | None = None) -> ReplayResult:
        """Send spooled requests oldest first, deleting each after success.

        Stops at the first network, retryable or auth failure (the rest stay for later); a request the
        server rejects for good (other 4xx, unreadable file) moves to `dead/` so it cannot block the queue.
        """
        result = ReplayResult()
        files = self.pending(tracking_uri)
        for index, path in enumerate(files):
            with _locked(path) as fd:
                if fd is None:
                    continue
                try:
                    raw = json.loads(path.read_bytes())
                    request = SpooledRequest(raw["tracking_uri"], raw["method"], raw["path"], raw["body"])
                except (ValueError, KeyError, OSError):
                    result.dead_files.append(self._bury(path))
                    result.dead += 1
                    continue
                try:
                    send(request)
                except RestError as exc:
                    if exc.retryable or exc.is_auth:
                        result.error, result.remaining = exc, len(files) - index
                        return result
                    result.dead_files.append(self._bury(path))
                    result.dead += 1
                    result.error = exc
                    continue
                except Exception as exc:  # unreachable, or anything else: keep the file for later
                    result.error, result.remaining = exc, len(files) - index
                    return result
                path.unlink(missing_ok=True)
                result.sent += 1
        return result

    def _bury(self, path: Path) -> Path:
        dead = self.directory / "dead"
        dead.mkdir(exist_ok=True)
        target = dead / path.name
        os.replace(path, target)
        return target
