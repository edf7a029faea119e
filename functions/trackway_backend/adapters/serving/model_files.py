"""A model version's files, fetched from the artifact bucket into a local directory once per container."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from trackway_backend.logic.artifact_paths import resolve, root_of

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_COMPLETE = ".trackway-complete"


def storage_prefix(location: str, bucket: str) -> str:
    """The S3 key prefix of a version's storage location (`mlflow-artifacts:/…` or `s3://<bucket>/…`)."""
    if location.startswith(f"s3://{bucket}/"):
        return location[len(f"s3://{bucket}/") :].strip("/")
    root = root_of(location)
    if root is None:
        raise ValueError(f"model files at {location!r} are not in the artifact bucket")
    return resolve(root).key


class S3ModelFiles:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._s3 = client
        self._bucket = bucket

    def fetch(self, location: str, destination: Path) -> Path:
        """Download every object under `location` into `destination`, unless an earlier fetch completed
        there. Files land in a scratch directory first, so a crash never leaves a half model behind."""
        if (destination / _COMPLETE).exists():
            return destination
        prefix = storage_prefix(location, self._bucket)
        scratch = destination.with_name(f"{destination.name}.{uuid.uuid4().hex}.partial")
        count = 0
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=f"{prefix}/"):
            for item in page.get("Contents", []):
                relative = item["Key"][len(prefix) + 1 :]
                if not relative or relative.endswith("/"):
                    continue
                target = scratch / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                body = self._s3.get_object(Bucket=self._bucket, Key=item["Key"])["Body"]
                with target.open("wb") as file:
                    shutil.copyfileobj(body, file)
                count += 1
        if count == 0:
            raise FileNotFoundError(f"no model files under {location}")
        (scratch / _COMPLETE).touch()
        shutil.rmtree(destination, ignore_errors=True)
        scratch.rename(destination)
        return destination
