"""Progress of multipart uploads on disk, so an interrupted upload resumes instead of restarting.

An upload is keyed by (absolute file path, size, mtime, destination): change the file and the old state
no longer applies. The state holds the upload id, the presigned part URLs (which carry a signature, so the
file is private to the user) and the ETag of every part already stored.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class PartTarget:
    url: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class UploadState:
    upload_id: str
    part_size: int
    num_parts: int
    targets: dict[int, PartTarget]
    etags: dict[int, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> UploadState:
        return cls(
            upload_id=data["upload_id"],
            part_size=int(data["part_size"]),
            num_parts=int(data["num_parts"]),
            targets={int(k): PartTarget(**v) for k, v in data["targets"].items()},
            etags={int(k): v for k, v in data.get("etags", {}).items()},
        )


class UploadStateStore:
    """One JSON file per in-flight upload under `directory` (default `~/.trackway/uploads`)."""

    def __init__(self, directory: Path):
        self.directory = directory

    @staticmethod
    def key(local: Path, destination: str) -> str:
        stat = local.stat()
        identity = json.dumps([str(local.resolve()), stat.st_size, stat.st_mtime_ns, destination])
        return hashlib.sha256(identity.encode()).hexdigest()[:32]

    def _path(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> UploadState | None:
        try:
            return UploadState.from_json(json.loads(self._path(key).read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, key: str, state: UploadState) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self._path(key).with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(asdict(state), handle)
        os.replace(tmp, self._path(key))

    def delete(self, key: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._path(key).unlink()
