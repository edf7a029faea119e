"""Artifact results rendered as MLflow JSON."""

from __future__ import annotations

from typing import Any

from trackway_backend.logic.artifacts import Download, Upload
from trackway_backend.object_store import Entry


def file_info(entry: Entry) -> dict[str, Any]:
    info: dict[str, Any] = {"path": entry.name, "is_dir": entry.is_dir}
    if entry.size is not None:
        info["file_size"] = entry.size
    return info


def presigned(download: Download) -> dict[str, Any]:
    """Plain JSON, as mlflow's PresignedDownloadUrlResponse.to_dict(); `headers` are to send with the GET."""
    return {"url": download.url, "headers": {}, "file_size": download.file_size}


def upload(created: Upload) -> dict[str, Any]:
    return {
        "upload_id": created.upload_id,
        "credentials": [{"url": part.url, "part_number": part.number, "headers": {}} for part in created.parts],
    }
