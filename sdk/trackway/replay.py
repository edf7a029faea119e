"""Replaying the spool, oldest first, without letting one bad file block the files after it.

What happens to a file depends on the server's answer:
- 2xx: the file is deleted.
- 409/429/503 (`send` has already retried them with backoff), 401/403, or no answer at all: the pass stops
  and every file stays where it is for the next pass. Nothing is charged: the server is busy or away.
- another 4xx: the server refused the request as invalid. It moves to `rejected/` with the server's
  `{error_code, message}`.
- another 5xx (or 408): the pass goes on with the next file. At the end of the pass, if the server proved
  healthy (another file went through in this pass, or `healthy()` says so), the failure is charged to the
  file, which moves to the back of the queue; a file charged `Spool.quarantine_after` times moves to
  `dead/` with its report. Otherwise the server looks down: nothing is charged and nothing moves, and
  after `DOWN_STREAK` failing files in a row with no success the pass stops.
- a file that cannot be read is quarantined at once.

A file is always sent exactly as it was spooled (same body, same order of entries), so the server's
idempotent log-batch absorbs a file that had in fact been stored before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from trackway.errors import RestError
from trackway.spool import ReplayResult, Spool, SpooledRequest, failure_record, locked

DOWN_STREAK = 3


def _refused_for_good(error: RestError) -> bool:
    return error.status < 500 and not (error.retryable or error.is_auth)


def replay(
    spool: Spool,
    send: Callable[[SpooledRequest], None],
    tracking_uri: str | None = None,
    *,
    healthy: Callable[[], bool] | None = None,
) -> ReplayResult:
    """One pass over the spool (only files for `tracking_uri` when given); see the module docstring."""
    result = ReplayResult()
    files = spool.pending(tracking_uri)
    failed: list[tuple[Path, SpooledRequest, RestError]] = []
    streak = 0
    for index, path in enumerate(files):
        with locked(path) as fd:
            if fd is None:
                continue
            try:
                request = spool.read(path)
            except (ValueError, KeyError, OSError) as exc:
                result.dead_files.append(spool.quarantine(path, None, f"unreadable spool file: {exc}"))
                continue
            try:
                send(request)
            except RestError as exc:
                result.error = exc
                if exc.contention or exc.is_auth:
                    result.remaining = len(files) - index
                    break
                if _refused_for_good(exc):
                    result.rejected_files.append(spool.reject(request, exc, path))
                    continue
                failed.append((path, request, exc))
                streak += 1
                if streak >= DOWN_STREAK and result.sent == 0:
                    result.remaining = len(files) - index - 1
                    break
                continue
            except Exception as exc:  # unreachable, or anything else: keep the file for later
                result.error = exc
                result.remaining = len(files) - index
                break
            path.unlink(missing_ok=True)
            result.sent += 1
            streak = 0
    _settle_failures(spool, failed, result, charge=result.sent > 0 or (healthy is not None and healthy()))
    return result


def _settle_failures(
    spool: Spool, failed: list[tuple[Path, SpooledRequest, RestError]], result: ReplayResult, *, charge: bool
) -> None:
    for path, request, error in failed:
        if not charge:
            result.remaining += 1
            continue
        with locked(path) as fd:
            if fd is None:  # another replayer holds it, or delivered it meanwhile
                continue
            charged = replace(request, failures=(*request.failures, failure_record(error)))
            if len(charged.failures) >= spool.quarantine_after:
                reason = f"failed {len(charged.failures)} times while the server accepted other requests; last: {error}"
                result.dead_files.append(spool.quarantine(path, charged, reason))
            else:
                spool.requeue(path, charged)
                result.requeued += 1
                result.remaining += 1
