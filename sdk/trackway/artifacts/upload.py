"""Parallel, resumable multipart uploads over the presigned mpu protocol (MLFLOW_WIRE.md §1d/§5).

create → PUT every part to its presigned URL (no auth header; parts in a thread pool) → complete. The
ETag of each stored part is recorded on disk, so running the same upload again after an interruption
sends only the missing parts (the server keeps the upload id alive until complete or abort). A failure
the server will not get over (a part or the completion refused) aborts the upload; an interruption or a
network failure keeps it for the next attempt.
"""

from __future__ import annotations

import math
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

from trackway.artifacts.paths import mpu_path
from trackway.artifacts.progress import Progress
from trackway.artifacts.upload_state import PartTarget, UploadState, UploadStateStore
from trackway.errors import PresignedURLError, RestError
from trackway.http import RestClient

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
MAX_PARTS = 10_000
DEFAULT_PART_SIZE = 10 * MIB


def plan_part_size(size: int, preferred: int = DEFAULT_PART_SIZE) -> int:
    """A part size ≥5 MiB that keeps the upload within 10,000 parts."""
    part = max(preferred, MIN_PART_SIZE)
    if math.ceil(size / part) > MAX_PARTS:
        part = math.ceil(size / MAX_PARTS / MIB) * MIB
    return part


class Uploader:
    """Uploads local files into an artifact directory (a path relative to the artifacts root)."""

    def __init__(
        self,
        rest: RestClient,
        state_dir: Path,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        workers: int = 4,
        progress: bool | None = None,
    ):
        self.rest = rest
        self.store = UploadStateStore(state_dir)
        self.part_size = part_size
        self.workers = workers
        self.progress = progress

    def upload_file(self, local: Path, directory: str) -> None:
        """Upload `local` as `<directory>/<local.name>`, resuming a previous interrupted attempt."""
        key = self.store.key(local, f"{self.rest.base_uri}|{directory}|{local.name}")
        size = local.stat().st_size
        part_size = plan_part_size(size, self.part_size)
        state = self.store.load(key)
        resumed = state is not None and state.part_size == part_size
        if state is None or not resumed:
            state = self._create(directory, local.name, size, part_size)
            self.store.save(key, state)
        try:
            self._put_parts(local, state, key)
            self.rest.call(
                "POST",
                mpu_path("complete", directory),
                {
                    "path": local.name,
                    "upload_id": state.upload_id,
                    "parts": [
                        {"part_number": n, "etag": state.etags[n], "url": state.targets[n].url}
                        for n in sorted(state.etags)
                    ],
                },
            )
        except (PresignedURLError, RestError) as exc:
            if exc.retryable or (isinstance(exc, RestError) and exc.is_auth):
                raise  # transient: keep the state, the next attempt resumes
            self._abort(directory, local.name, state.upload_id)
            self.store.delete(key)
            if resumed:  # stale presigned URLs from an older attempt: start over once
                self.upload_file(local, directory)
                return
            raise
        self.store.delete(key)

    def _create(self, directory: str, name: str, size: int, part_size: int) -> UploadState:
        num_parts = max(1, math.ceil(size / part_size))
        body = self.rest.call("POST", mpu_path("create", directory), {"path": name, "num_parts": num_parts})
        targets = {
            int(c["part_number"]): PartTarget(c["url"], dict(c.get("headers") or {}))
            for c in body.get("credentials") or []
        }
        if sorted(targets) != list(range(1, num_parts + 1)):
            raise RestError(200, "BAD_RESPONSE", f"mpu/create returned {len(targets)} of {num_parts} part URLs")
        return UploadState(str(body["upload_id"]), part_size, num_parts, targets)

    def _put_parts(self, local: Path, state: UploadState, key: str) -> None:
        size = local.stat().st_size
        todo = [n for n in range(1, state.num_parts + 1) if n not in state.etags]
        lock = threading.Lock()
        progress = Progress(size, local.name, enabled=self.progress)
        progress.update(sum(self._length(n, state, size) for n in state.etags))

        def put(number: int) -> None:
            offset = (number - 1) * state.part_size
            with open(local, "rb") as handle:
                handle.seek(offset)
                chunk = handle.read(self._length(number, state, size))
            target = state.targets[number]
            resp = self.rest.raw("PUT", target.url, data=chunk, headers=target.headers)
            with lock:
                state.etags[number] = resp.headers.get("ETag", "")
                self.store.save(key, state)
            progress.update(len(chunk))

        with progress, ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(todo)))) as pool:
            futures = [pool.submit(put, n) for n in todo]
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                future.cancel()
            for future in futures:
                if not future.cancelled():
                    future.result()

    @staticmethod
    def _length(number: int, state: UploadState, size: int) -> int:
        return max(0, min(state.part_size, size - (number - 1) * state.part_size))

    def _abort(self, directory: str, name: str, upload_id: str) -> None:
        try:
            self.rest.call("POST", mpu_path("abort", directory), {"path": name, "upload_id": upload_id})
        except Exception:  # best effort: the original error matters more
            return
