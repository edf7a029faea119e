"""The storage port of artifacts: objects in one bucket, addressed by key, and presigned URLs to them.

Keys are already normalised and checked (logic/artifact_paths.py); an adapter never sees a raw path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """A direct child of a listed directory: a file with its size, or a directory."""

    name: str
    is_dir: bool
    size: int | None = None


@dataclass(frozen=True)
class StoredObject:
    size: int
    etag: str


@dataclass(frozen=True)
class Part:
    number: int
    etag: str


class ObjectStore(ABC):
    """Objects of the artifact bucket.

    `head` returns None for a missing object; multipart calls raise `NotFound` for an unknown upload and
    `InvalidParameter` for parts S3 refuses. Presigned URLs are valid for `seconds` and for one key (and
    one upload id and part number, for parts).
    """

    @abstractmethod
    def head(self, key: str) -> StoredObject | None:
        """The object's size and ETag, or None when there is no object at `key`."""

    @abstractmethod
    def list_dir(self, prefix: str) -> list[Entry]:
        """The direct children of the directory `prefix` (no trailing slash); [] when there are none."""

    @abstractmethod
    def put(self, key: str, data: bytes, content_type: str | None) -> None: ...

    @abstractmethod
    def delete_tree(self, key: str) -> None:
        """Delete the object at `key` and every object under `key/`."""

    @abstractmethod
    def presign_get(self, key: str, seconds: int) -> str: ...

    @abstractmethod
    def presign_put(self, key: str, seconds: int) -> str: ...

    @abstractmethod
    def start_multipart(self, key: str) -> str:
        """Start a multipart upload; return its upload id."""

    @abstractmethod
    def presign_part(self, key: str, upload_id: str, number: int, seconds: int) -> str: ...

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> None: ...

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort an upload; an upload that no longer exists is not an error."""
