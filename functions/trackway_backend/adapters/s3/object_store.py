"""The ObjectStore port on S3 (or any S3 API: s3rver locally, moto in tests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from trackway_backend.errors import InternalError, InvalidParameter, NotFound, Throttled, Unavailable
from trackway_backend.object_store import Entry, ObjectStore, Part, StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_DELETE_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
_REFUSED_PARTS = {"InvalidPart", "InvalidPartOrder", "EntityTooSmall", "EntityTooLarge", "MalformedXML"}
_THROTTLED = {"SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded"}


@contextmanager
def translated(upload_id: str | None = None) -> Iterator[None]:
    """S3 errors → domain errors: an unknown upload is 404, parts S3 refuses are 400, throttling 429."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        if code == "NoSuchUpload":
            raise NotFound(f"Multipart upload {upload_id} does not exist (completed, aborted or expired)") from exc
        if code in _REFUSED_PARTS:
            raise InvalidParameter(f"S3 refused the parts of upload {upload_id}: {code}: {message}") from exc
        if code in _THROTTLED:
            raise Throttled("S3 is throttling requests; retry with backoff") from exc
        raise InternalError(f"Artifact storage error: {code or type(exc).__name__}") from exc
    except BotoCoreError as exc:
        raise Unavailable(f"Artifact storage is unreachable: {type(exc).__name__}") from exc


class S3ObjectStore(ObjectStore):
    """`flat_listing` derives a directory's children from every key below it instead of asking S3 for
    common prefixes. S3 and moto answer delimiter listings correctly; s3rver 3.7 (the local stack's S3)
    prunes its walk at the first nested directory, so a directory that holds only subdirectories (`sub/`
    with nothing but `sub/inner/x`) never shows up. Flat listing costs a page per 1,000 keys below the
    directory instead of per 1,000 children: right for an emulator, not for a bucket in AWS."""

    def __init__(self, client: S3Client, bucket: str, *, flat_listing: bool = False) -> None:
        self._s3 = client
        self._bucket = bucket
        self._flat_listing = flat_listing

    def head(self, key: str) -> StoredObject | None:
        try:
            found = self._s3.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _status(exc) == 404:
                return None
            with translated():
                raise
        return StoredObject(int(found["ContentLength"]), str(found.get("ETag", "")))

    def list_dir(self, prefix: str) -> list[Entry]:
        if self._flat_listing:
            return children(prefix, self._sizes_under(f"{prefix}/"))
        entries: list[Entry] = []
        paginator = self._s3.get_paginator("list_objects_v2")
        with translated():
            for page in paginator.paginate(Bucket=self._bucket, Prefix=f"{prefix}/", Delimiter="/"):
                for common in page.get("CommonPrefixes", []):
                    name = common["Prefix"][len(prefix) + 1 :].rstrip("/")
                    if name:
                        entries.append(Entry(name, is_dir=True))
                for item in page.get("Contents", []):
                    name = item["Key"][len(prefix) + 1 :]
                    if name:  # a "directory marker" object equal to the prefix is not a file
                        entries.append(Entry(name, is_dir=False, size=int(item["Size"])))
        return sorted(entries, key=lambda entry: entry.name)

    def put(self, key: str, data: bytes, content_type: str | None) -> None:
        extra: dict[str, Any] = {"ContentType": content_type} if content_type else {}
        with translated():
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=data, **extra)

    def delete_tree(self, key: str) -> None:
        keys = [key, *self._keys_under(f"{key}/")]
        with translated():
            for start in range(0, len(keys), _DELETE_BATCH):
                batch: Any = [{"Key": each} for each in keys[start : start + _DELETE_BATCH]]
                result = self._s3.delete_objects(Bucket=self._bucket, Delete={"Objects": batch, "Quiet": True})
                if failed := result.get("Errors"):
                    raise InternalError(f"Could not delete {len(failed)} artifact objects: {failed[0].get('Code')}")

    def presign_get(self, key: str, seconds: int) -> str:
        return self._presign("get_object", {"Key": key}, seconds)

    def presign_put(self, key: str, seconds: int) -> str:
        return self._presign("put_object", {"Key": key}, seconds)

    def start_multipart(self, key: str) -> str:
        with translated():
            return str(self._s3.create_multipart_upload(Bucket=self._bucket, Key=key)["UploadId"])

    def presign_part(self, key: str, upload_id: str, number: int, seconds: int) -> str:
        return self._presign("upload_part", {"Key": key, "UploadId": upload_id, "PartNumber": number}, seconds)

    def complete_multipart(self, key: str, upload_id: str, parts: list[Part]) -> None:
        with translated(upload_id):
            self._s3.complete_multipart_upload(
                Bucket=self._bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": part.number, "ETag": part.etag} for part in parts]},
            )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            with translated(upload_id):
                self._s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
        except NotFound:
            return

    def _presign(self, operation: str, params: dict[str, Any], seconds: int) -> str:
        # Signing is local: no request to S3, so nothing to translate.
        return str(
            self._s3.generate_presigned_url(operation, Params={"Bucket": self._bucket, **params}, ExpiresIn=seconds)
        )

    def _keys_under(self, prefix: str) -> Iterator[str]:
        for key, _ in self._sizes_under(prefix):
            yield key

    def _sizes_under(self, prefix: str) -> Iterator[tuple[str, int]]:
        paginator = self._s3.get_paginator("list_objects_v2")
        with translated():
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield item["Key"], int(item["Size"])


def children(prefix: str, objects: Iterable[tuple[str, int]]) -> list[Entry]:
    """The direct children of the directory `prefix` among `(key, size)` pairs of the keys below it: a
    file for a key one level down, a directory for the first segment of any deeper key."""
    files: dict[str, int] = {}
    directories: set[str] = set()
    for key, size in objects:
        rest = key[len(prefix) + 1 :]
        name, slash, _ = rest.partition("/")
        if not name:
            continue  # a "directory marker" object equal to the prefix is not a file
        if slash:
            directories.add(name)
        else:
            files[name] = size
    entries = [Entry(name, is_dir=True) for name in directories]
    entries += [Entry(name, is_dir=False, size=size) for name, size in files.items()]
    return sorted(entries, key=lambda entry: entry.name)


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
