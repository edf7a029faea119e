"""Downloads over presigned URLs: parallel `Range` GETs when the size is known, one stream otherwise.

`GET /mlflow-artifacts/presigned/<path>` gives `{url, headers, file_size}`; the object is fetched straight
from S3 with no auth header. A 404/501 there (a server or store without presigned support) falls back to
the proxied `GET /mlflow-artifacts/artifacts/<path>`. Bytes land in a temp file renamed into place at the
end, so a failed download never leaves a truncated file under the final name.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from trackway.artifacts.paths import presigned_path, proxied_path
from trackway.artifacts.progress import Progress
from trackway.errors import PresignedURLError, RestError
from trackway.http import RestClient

MIB = 1024 * 1024
DEFAULT_CHUNK = 16 * MIB


class _RangeIgnored(Exception):
    """The store answered a ranged GET with the whole object (200): fetch it in one stream instead."""


class Downloader:
    """Fetches artifact files (paths relative to the artifacts root) to local paths."""

    def __init__(
        self,
        rest: RestClient,
        *,
        chunk_size: int = DEFAULT_CHUNK,
        workers: int = 4,
        progress: bool | None = None,
    ):
        self.rest = rest
        self.chunk_size = chunk_size
        self.workers = workers
        self.progress = progress

    def download_file(self, path: str, dst: Path) -> Path:
        """Download the artifact at `path` to `dst` (parents created); return `dst`."""
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.trackway-partial")
        try:
            try:
                info = self.rest.call("GET", presigned_path(path))
            except RestError as exc:
                if exc.status not in (404, 501):
                    raise
                self._stream(
                    self.rest.raw("GET", self.rest.url(proxied_path(path)), stream=True, signed=True),
                    tmp,
                    None,
                    dst.name,
                )
            else:
                url, headers = str(info["url"]), dict(info.get("headers") or {})
                size = int(info["file_size"]) if info.get("file_size") not in (None, "") else None
                if size is not None and size > self.chunk_size:
                    try:
                        self._ranged(url, headers, size, tmp, dst.name)
                    except _RangeIgnored:
                        size = None
                if size is None or size <= self.chunk_size:
                    self._stream(self.rest.raw("GET", url, headers=headers, stream=True), tmp, size, dst.name)
            os.replace(tmp, dst)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        return dst

    def _stream(self, resp: requests.Response, tmp: Path, size: int | None, label: str) -> None:
        total = size if size is not None else int(resp.headers.get("Content-Length") or 0)
        with resp, open(tmp, "wb") as handle, Progress(total, label, enabled=self.progress) as progress:
            for block in resp.iter_content(MIB):
                handle.write(block)
                progress.update(len(block))

    def _ranged(self, url: str, headers: dict[str, str], size: int, tmp: Path, label: str) -> None:
        with open(tmp, "wb") as handle:
            handle.truncate(size)
        ranges = [(start, min(start + self.chunk_size, size) - 1) for start in range(0, size, self.chunk_size)]
        fd = os.open(tmp, os.O_WRONLY)
        progress = Progress(size, label, enabled=self.progress)

        def fetch(span: tuple[int, int]) -> None:
            start, end = span
            resp = self.rest.raw("GET", url, headers={**headers, "Range": f"bytes={start}-{end}"})
            if resp.status_code != 206:
                raise _RangeIgnored
            if len(resp.content) != end - start + 1:
                raise PresignedURLError(resp.status_code, url, f"short range {start}-{end}: {len(resp.content)}")
            os.pwrite(fd, resp.content, start)
            progress.update(len(resp.content))

        try:
            with progress, ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(ranges)))) as pool:
                list(pool.map(fetch, ranges))
        finally:
            os.close(fd)
