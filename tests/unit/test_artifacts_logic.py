"""Artifact logic with in-memory fakes: limits decided before the body is read, owners checked on writes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from trackway_backend.domain import LifecycleStage, LoggedModel, LoggedModelStatus, Run, RunStatus
from trackway_backend.errors import InvalidParameter, NotFound, PayloadTooLarge
from trackway_backend.logic import artifacts
from trackway_backend.object_store import Entry, ObjectStore, Part, StoredObject
from trackway_backend.ports import TrackingStore

RUN = "0123456789abcdef0123456789abcdef"
MODEL = "m-fedcba9876543210fedcba9876543210"
ROOT = f"1/{RUN}/artifacts"
LIMIT = 1024


@dataclass
class MemoryObjects(ObjectStore):
    objects: dict[str, bytes] = field(default_factory=dict)
    uploads: dict[str, str] = field(default_factory=dict)

    def head(self, key: str) -> StoredObject | None:
        data = self.objects.get(key)
        return None if data is None else StoredObject(len(data), f'"{hashlib.md5(data).hexdigest()}"')

    def list_dir(self, prefix: str) -> list[Entry]:
        return []

    def put(self, key: str, data: bytes, content_type: str | None) -> None:
        self.objects[key] = data

    def delete_tree(self, key: str) -> None:
        for name in [k for k in self.objects if k == key or k.startswith(f"{key}/")]:
            del self.objects[name]

    def presign_get(self, key: str, seconds: int) -> str:
        return f"https://s3/{key}?get&expires={seconds}"

    def presign_put(self, key: str, seconds: int) -> str:
        return f"https://s3/{key}?put&expires={seconds}"

    def start_multipart(self, key: str) -> str:
        self.uploads[f"u{len(self.uploads)}"] = key
        return f"u{len(self.uploads) - 1}"

    def presign_part(self, key: str, upload_id: str, number: int, seconds: int) -> str:
        return f"https://s3/{key}?uploadId={upload_id}&partNumber={number}"

    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> None:
        if self.uploads.pop(upload_id, None) != key:
            raise NotFound(upload_id)
        self.objects[key] = b"assembled"

    def abort_multipart(self, key: str, upload_id: str) -> None:
        self.uploads.pop(upload_id, None)


@dataclass
class Owners:
    """The two TrackingStore reads the artifact logic uses."""

    runs: dict[str, Run] = field(default_factory=dict)
    models: dict[str, LoggedModel] = field(default_factory=dict)

    def get_run(self, run_id: str) -> Run:
        if run_id not in self.runs:
            raise NotFound(f"Run with id={run_id} not found")
        return self.runs[run_id]

    def get_logged_model(self, model_id: str) -> LoggedModel:
        if model_id not in self.models:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return self.models[model_id]


def run(stage: LifecycleStage = LifecycleStage.ACTIVE, uri: str = f"mlflow-artifacts:/{ROOT}") -> Run:
    return Run(RUN, "1", "r", "u", RunStatus.RUNNING, 0, None, uri, lifecycle_stage=stage)


@pytest.fixture
def objects() -> MemoryObjects:
    return MemoryObjects()


@pytest.fixture
def store() -> Any:
    owners = Owners(runs={RUN: run()})
    owners.models[MODEL] = LoggedModel(
        MODEL, "1", "m", f"mlflow-artifacts:/1/models/{MODEL}/artifacts", LoggedModelStatus.PENDING, 0, 0
    )
    return cast(TrackingStore, owners)


def test_a_declared_size_over_the_limit_is_refused_whatever_the_body(store: Any, objects: MemoryObjects) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        artifacts.upload_small(store, objects, f"{ROOT}/big.bin", LIMIT + 1, b"", None, LIMIT)
    assert raised.value.http_status == 413
    assert "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=1024" in raised.value.message
    assert "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true" in raised.value.message
    assert not objects.objects


def test_the_too_large_message_names_the_mlflow_plugin_as_the_first_fix(store: Any, objects: MemoryObjects) -> None:
    with pytest.raises(PayloadTooLarge) as raised:
        artifacts.upload_small(store, objects, f"{ROOT}/big.bin", LIMIT + 1, b"", None, LIMIT)
    message = raised.value.message
    plugin = message.index("pip install 'trackway[mlflow]'")
    assert plugin < message.index("mlflow>=3.18") < message.index("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD")


def test_a_body_larger_than_it_declared_is_refused_too(store: Any, objects: MemoryObjects) -> None:
    with pytest.raises(PayloadTooLarge):
        artifacts.upload_small(store, objects, f"{ROOT}/x", 10, b"x" * (LIMIT + 1), None, LIMIT)
    assert not objects.objects


def test_a_small_upload_is_stored_under_its_key(store: Any, objects: MemoryObjects) -> None:
    artifacts.upload_small(store, objects, f"{ROOT}/a/b.txt", 3, b"abc", "text/plain", LIMIT)
    assert objects.objects == {f"{ROOT}/a/b.txt": b"abc"}


def test_uploads_to_a_deleted_run_are_refused_but_reads_are_not(objects: MemoryObjects) -> None:
    store = cast(TrackingStore, Owners(runs={RUN: run(LifecycleStage.DELETED)}))
    with pytest.raises(InvalidParameter, match="'active' state"):
        artifacts.upload_small(store, objects, f"{ROOT}/x", 1, b"x", None, LIMIT)
    with pytest.raises(InvalidParameter, match="'active' state"):
        artifacts.create_upload(store, objects, ROOT, "x", 1, None, 60)
    objects.objects[f"{ROOT}/x"] = b"x"
    assert artifacts.download(objects, f"{ROOT}/x", 60).file_size == 1


def test_uploads_to_an_unknown_run_are_not_found(objects: MemoryObjects) -> None:
    with pytest.raises(NotFound, match="not found"):
        artifacts.upload_small(cast(TrackingStore, Owners()), objects, f"{ROOT}/x", 1, b"x", None, LIMIT)


def test_writes_outside_the_recorded_root_are_refused(objects: MemoryObjects) -> None:
    store = cast(TrackingStore, Owners(runs={RUN: run()}))
    with pytest.raises(InvalidParameter, match="outside the artifact root"):
        artifacts.upload_small(store, objects, f"2/{RUN}/artifacts/x", 1, b"x", None, LIMIT)


def test_a_file_cannot_replace_an_artifact_root(store: Any, objects: MemoryObjects) -> None:
    with pytest.raises(InvalidParameter, match="artifact root"):
        artifacts.upload_small(store, objects, ROOT, 1, b"x", None, LIMIT)


def test_one_part_is_one_presigned_put_completed_by_its_etag(store: Any, objects: MemoryObjects) -> None:
    upload = artifacts.create_upload(store, objects, f"{ROOT}/dir", "/local/path/f.bin", 1, 3, 60)
    assert upload.upload_id.startswith(artifacts.SINGLE_PUT_PREFIX)
    assert [(p.number, p.url) for p in upload.parts] == [(1, f"https://s3/{ROOT}/dir/f.bin?put&expires=60")]
    with pytest.raises(InvalidParameter, match="PUT it to its URL"):
        artifacts.complete_upload(store, objects, f"{ROOT}/dir", "f.bin", upload.upload_id, [Part(1, "x")])
    objects.objects[f"{ROOT}/dir/f.bin"] = b"abc"
    etag = hashlib.md5(b"abc").hexdigest()
    artifacts.complete_upload(store, objects, f"{ROOT}/dir", "f.bin", upload.upload_id, [Part(1, f'"{etag}"')])
    artifacts.abort_upload(objects, f"{ROOT}/dir", "f.bin", upload.upload_id)  # a no-op, not an error
    assert f"{ROOT}/dir/f.bin" in objects.objects


def test_many_parts_are_a_real_multipart_upload(store: Any, objects: MemoryObjects) -> None:
    upload = artifacts.create_upload(store, objects, f"1/models/{MODEL}/artifacts", "w.bin", 3, None, 60)
    assert [p.number for p in upload.parts] == [1, 2, 3]
    assert all(f"uploadId={upload.upload_id}&partNumber={p.number}" in p.url for p in upload.parts)
    assert objects.uploads == {upload.upload_id: f"1/models/{MODEL}/artifacts/w.bin"}


def test_logged_model_roots_accept_uploads(store: Any, objects: MemoryObjects) -> None:
    upload = artifacts.create_upload(store, objects, f"1/models/{MODEL}/artifacts", "w.bin", 2, None, 60)
    parts = [Part(p.number, "e") for p in upload.parts]
    artifacts.complete_upload(store, objects, f"1/models/{MODEL}/artifacts", "w.bin", upload.upload_id, parts)
    assert objects.objects[f"1/models/{MODEL}/artifacts/w.bin"] == b"assembled"


def test_downloads_of_missing_files_are_not_found(objects: MemoryObjects) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        artifacts.download(objects, f"{ROOT}/nothing", 60)
