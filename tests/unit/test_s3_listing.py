"""Directory listing on the S3 adapter: a directory shows at every level, whatever lies inside it.

Both listing strategies run against moto's S3, which answers delimiter listings as S3 does; the flat one is
what the local stack uses because s3rver drops directories that hold only subdirectories.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from trackway_backend.adapters.s3.object_store import S3ObjectStore, children
from trackway_backend.object_store import Entry

BUCKET = "artifacts"
ROOT = "1/0123456789abcdef0123456789abcdef/artifacts"
KEYS = {
    f"{ROOT}/hello.txt": b"hello",
    f"{ROOT}/sub/inner/b.txt": b"bb",  # `sub` holds only a subdirectory
    f"{ROOT}/sub/inner/deeper/c.txt": b"ccc",
    f"{ROOT}/tree/a.txt": b"a",
    f"{ROOT}/tree/x/y/z.bin": b"",
}


@pytest.fixture(params=[False, True], ids=["delimiter", "flat"])
def objects(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[S3ObjectStore]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket=BUCKET)
        for key, data in KEYS.items():
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        yield S3ObjectStore(s3, BUCKET, flat_listing=request.param)


def test_directories_show_at_every_level(objects: S3ObjectStore) -> None:
    assert objects.list_dir(ROOT) == [
        Entry("hello.txt", False, 5),
        Entry("sub", True),
        Entry("tree", True),
    ]
    assert objects.list_dir(f"{ROOT}/sub") == [Entry("inner", True)]
    assert objects.list_dir(f"{ROOT}/sub/inner") == [Entry("b.txt", False, 2), Entry("deeper", True)]
    assert objects.list_dir(f"{ROOT}/tree/x") == [Entry("y", True)]
    assert objects.list_dir(f"{ROOT}/tree/x/y") == [Entry("z.bin", False, 0)]


def test_a_file_and_a_missing_directory_list_as_nothing(objects: S3ObjectStore) -> None:
    assert objects.list_dir(f"{ROOT}/hello.txt") == []
    assert objects.list_dir(f"{ROOT}/nope") == []
    assert objects.list_dir(f"{ROOT}/su") == []  # a prefix of a name is not a directory


def test_children_come_from_the_first_segment_below_the_directory() -> None:
    keys = [("d/a", 1), ("d/b/c", 2), ("d/b/e/f", 3), ("d/", 0)]
    assert children("d", keys) == [Entry("a", False, 1), Entry("b", True)]
