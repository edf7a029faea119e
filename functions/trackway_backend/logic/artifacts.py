"""Artifact operations. Bytes move between the client and S3 over presigned URLs; the one exception is a
small proxied PUT from an older mlflow client, which is refused above a limit before its body is read.

Reads only check the path. Writes also look the owner up: an unknown run or logged model is 404, a path
outside its recorded artifact root is 400, and uploads to a deleted one are 400, as in MLflow.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from trackway_backend.domain import LifecycleStage
from trackway_backend.errors import InvalidParameter, NotFound, PayloadTooLarge
from trackway_backend.logic import upload_rules
from trackway_backend.logic.artifact_paths import ArtifactPath, Owner, file_name, resolve, root_of
from trackway_backend.object_store import Entry, ObjectStore, Part
from trackway_backend.ports import TrackingStore

SINGLE_PUT_PREFIX = "single-put-"
"""Upload ids of one-part uploads: one presigned PutObject, no S3 multipart state to complete or abort."""

_MULTIPART_HINT = (
    "Send it straight to S3 instead. First fix, no change to your script: install trackway's mlflow client "
    "plugin, pip install 'trackway[mlflow]', which uploads every artifact over presigned URLs. Or upgrade "
    "the client to mlflow>=3.18, which always does; or set MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true and "
    "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE={limit} (or lower) in the client's environment; or use the "
    "trackway SDK."
)


@dataclass(frozen=True)
class Download:
    url: str
    file_size: int


@dataclass(frozen=True)
class PartUrl:
    number: int
    url: str


@dataclass(frozen=True)
class Upload:
    upload_id: str
    parts: list[PartUrl]


def list_dir(objects: ObjectStore, path: str) -> list[Entry]:
    return objects.list_dir(resolve(path).key)


def download(objects: ObjectStore, path: str, seconds: int) -> Download:
    target = resolve(path)
    stored = objects.head(target.key)
    if stored is None:
        raise NotFound(f"Artifact '{target.key}' does not exist")
    return Download(objects.presign_get(target.key, seconds), stored.size)


def upload_small(
    store: TrackingStore,
    objects: ObjectStore,
    path: str,
    declared_bytes: int,
    data: bytes,
    content_type: str | None,
    limit: int,
) -> None:
    """Write a proxied PUT's body. The declared length decides first, so a body over `limit` is refused
    whatever was read of it."""
    target = _file(resolve(path))
    if declared_bytes > limit:
        raise _too_large(target.key, declared_bytes, limit)
    _check_owner(store, target, uploading=True)
    if len(data) > limit:
        raise _too_large(target.key, len(data), limit)
    objects.put(target.key, data, content_type)


def delete(store: TrackingStore, objects: ObjectStore, path: str) -> None:
    target = resolve(path)
    _check_owner(store, target, uploading=False)
    objects.delete_tree(target.key)


def create_upload(
    store: TrackingStore,
    objects: ObjectStore,
    directory: str,
    name: str,
    num_parts: int,
    file_size: int | None,
    seconds: int,
) -> Upload:
    target = _file(resolve(directory).child(file_name(name)))
    count = upload_rules.part_count(num_parts, file_size)
    _check_owner(store, target, uploading=True)
    if count == 1:
        return Upload(f"{SINGLE_PUT_PREFIX}{uuid.uuid4().hex}", [PartUrl(1, objects.presign_put(target.key, seconds))])
    upload_id = objects.start_multipart(target.key)
    urls = [objects.presign_part(target.key, upload_id, number, seconds) for number in range(1, count + 1)]
    return Upload(upload_id, [PartUrl(number, url) for number, url in enumerate(urls, start=1)])


def complete_upload(
    store: TrackingStore, objects: ObjectStore, directory: str, name: str, upload_id: str, parts: list[Part]
) -> None:
    target = _file(resolve(directory).child(file_name(name)))
    ordered = upload_rules.completed_parts(parts)
    _check_owner(store, target, uploading=True)
    if not upload_id.startswith(SINGLE_PUT_PREFIX):
        objects.complete_multipart(target.key, upload_id, ordered)
        return
    stored = objects.head(target.key)
    if len(ordered) != 1 or stored is None or stored.etag.strip('"') != ordered[0].etag.strip('"'):
        raise InvalidParameter(
            f"Upload {upload_id} of '{target.key}' is one part: PUT it to its URL, then complete with "
            "part 1 and the ETag that S3 returned"
        )


def abort_upload(objects: ObjectStore, directory: str, name: str, upload_id: str) -> None:
    target = _file(resolve(directory).child(file_name(name)))
    if not upload_id.startswith(SINGLE_PUT_PREFIX):
        objects.abort_multipart(target.key, upload_id)


def _file(target: ArtifactPath) -> ArtifactPath:
    if target.is_root:
        raise InvalidParameter(f"'{target.key}' is an artifact root, not a file path")
    return target


def _check_owner(store: TrackingStore, target: ArtifactPath, *, uploading: bool) -> None:
    if target.owner is Owner.RUN:
        run = store.get_run(target.owner_id)
        location, stage = run.artifact_uri, run.lifecycle_stage
    else:
        model = store.get_logged_model(target.owner_id)
        location, stage = model.artifact_location, model.lifecycle_stage
    label = f"{target.owner.value} {target.owner_id}"
    if root_of(location) != target.root:
        raise InvalidParameter(f"Artifact path '{target.key}' is outside the artifact root of {label} ({location})")
    if uploading and stage is not LifecycleStage.ACTIVE:
        raise InvalidParameter(f"The {label} must be in the 'active' state. Current state is {stage.value}.")


def _too_large(key: str, size: int, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        f"Artifact upload '{key}' is {size} bytes; uploads proxied through the trackway API are limited to "
        f"{limit} bytes (AWS Lambda caps a request at 6 MB). " + _MULTIPART_HINT.format(limit=limit)
    )
