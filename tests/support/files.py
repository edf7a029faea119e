"""File helpers shared by the artifact tests."""

from __future__ import annotations

import hashlib
from pathlib import Path

MIB = 1024 * 1024


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in 8 MiB blocks (artifact tests compare files of hundreds of MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(8 * MIB):
            digest.update(block)
    return digest.hexdigest()
