"""Artifact operations on an artifact root URI: upload files and trees, list, download trees."""

from __future__ import annotations

import posixpath
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackway.artifacts.download import Downloader
from trackway.artifacts.paths import artifact_root, join, listing_path
from trackway.artifacts.upload import Uploader
from trackway.config import Settings
from trackway.http import RestClient

_FILE_WORKERS = 4


@dataclass(frozen=True)
class FileInfo:
    path: str
    is_dir: bool
    file_size: int | None


class ArtifactsAPI:
    """Mixed into `TrackwayClient`; needs `self.rest` and `self.settings`."""

    rest: RestClient
    settings: Settings

    def _uploader(self, progress: bool | None) -> Uploader:
        return Uploader(self.rest, self.settings.uploads_path, progress=progress)

    def _downloader(self, progress: bool | None) -> Downloader:
        return Downloader(self.rest, progress=progress)

    def log_artifact(
        self,
        artifact_uri: str,
        local_path: str | Path,
        artifact_path: str | None = None,
        *,
        progress: bool | None = None,
    ) -> None:
        """Upload one file to `<artifact_uri>/<artifact_path>/<name>` (multipart, parallel, resumable)."""
        self._uploader(progress).upload_file(Path(local_path), join(artifact_root(artifact_uri), artifact_path or ""))

    def log_artifacts(
        self,
        artifact_uri: str,
        local_dir: str | Path,
        artifact_path: str | None = None,
        *,
        progress: bool | None = None,
    ) -> None:
        """Upload a directory tree under `<artifact_uri>/<artifact_path>/`, a few files at a time."""
        root, base = Path(local_dir), join(artifact_root(artifact_uri), artifact_path or "")
        jobs = [(f, join(base, f.parent.relative_to(root).as_posix())) for f in sorted(root.rglob("*")) if f.is_file()]
        uploader = self._uploader(progress)
        with ThreadPoolExecutor(max_workers=_FILE_WORKERS) as pool:
            for future in [pool.submit(uploader.upload_file, f, d) for f, d in jobs]:
                future.result()

    def list_artifacts(self, artifact_uri: str, path: str = "") -> list[FileInfo]:
        """Direct children of `path` (relative to the artifact root), with paths relative to the root."""
        rel = join(artifact_root(artifact_uri), path)
        body = self.rest.call("GET", listing_path(), {"path": rel})
        return [
            FileInfo(
                join(path, posixpath.basename(str(f["path"]).rstrip("/"))),
                bool(f.get("is_dir")),
                _size(f.get("file_size")),
            )
            for f in body.get("files") or []
        ]

    def download_artifacts(
        self, artifact_uri: str, path: str = "", dst_path: str | Path = ".", *, progress: bool | None = None
    ) -> Path:
        """Download the file or tree at `path` to `dst_path/<path>` (MLflow's layout); return that path."""
        dst, root = Path(dst_path), artifact_root(artifact_uri)
        files: list[str] = []
        stack = [path]
        while stack:
            current = stack.pop()
            children = self.list_artifacts(artifact_uri, current)
            if not children and current == path and path:
                files.append(path)  # a file: listing a file gives nothing
            for child in children:
                (stack if child.is_dir else files).append(child.path)
        downloader = self._downloader(progress)
        with ThreadPoolExecutor(max_workers=_FILE_WORKERS) as pool:
            for future in [pool.submit(downloader.download_file, join(root, f), dst / f) for f in files]:
                future.result()
        return dst / path if path else dst


def _size(value: Any) -> int | None:
    return None if value in (None, "") else int(value)
