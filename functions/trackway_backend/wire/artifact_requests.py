"""Request bodies of the artifacts routes (mlflow_artifacts.proto), snake_case as the client sends them."""

from __future__ import annotations

from pydantic import Field

from trackway_backend.object_store import Part
from trackway_backend.wire.parsing import Request, Required


class ListArtifacts(Request):
    path: Required


class CreateUpload(Request):
    path: Required
    num_parts: int = 1
    file_size: int | None = None
    """Optional (trackway extension): the file's size, so the part count is checked against S3's rules."""


class PartIn(Request):
    part_number: int
    etag: str = ""
    url: str | None = None

    def to_part(self) -> Part:
        return Part(self.part_number, self.etag)


class CompleteUpload(Request):
    path: Required
    upload_id: Required
    parts: list[PartIn] = Field(default_factory=list)


class AbortUpload(Request):
    path: Required
    upload_id: Required
