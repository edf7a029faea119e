"""The presigned protocol over HTTP against the local stack: what mlflow>=3.18 and the trackway SDK use.

Also proves the local S3 (s3rver behind local/s3rver.js) refuses expired and tampered URLs, so these
flows are tested against an engine that checks what S3 checks.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import boto3
import mlflow
import pytest
import requests
from botocore.config import Config

from trackway_backend.local.engines import local_credentials, missing_tools
from trackway_backend.local.process import StackProcess

MIB = 1024 * 1024
ART = "/api/2.0/mlflow-artifacts"

needs_s3rver = pytest.mark.skipif(
    bool(missing_tools()), reason="the moto fallback engine does not check signatures or expiry"
)


class Api:
    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, f"{self.url}{ART}{path}", timeout=60, **kwargs)

    def create(self, directory: str, name: str, num_parts: int, **extra: Any) -> dict[str, Any]:
        reply = self("POST", f"/mpu/create/{directory}", json={"path": name, "num_parts": num_parts, **extra})
        assert reply.status_code == 200, reply.text
        return dict(reply.json())

    def presigned(self, path: str) -> dict[str, Any]:
        reply = self("GET", f"/presigned/{path}")
        assert reply.status_code == 200, reply.text
        return dict(reply.json())


@pytest.fixture
def api(local_stack: StackProcess) -> Api:
    return Api(local_stack.url)


@pytest.fixture
def root(local_stack: StackProcess) -> Iterator[str]:
    client = mlflow.MlflowClient(local_stack.url)
    run = client.create_run("0")
    yield run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    client.set_terminated(run.info.run_id)


def put_parts(created: dict[str, Any], chunks: list[bytes]) -> list[dict[str, Any]]:
    parts = []
    for credential, chunk in zip(created["credentials"], chunks, strict=True):
        # No Authorization header: the URL is the whole credential.
        reply = requests.put(credential["url"], data=chunk, headers=credential["headers"], timeout=60)
        assert reply.status_code == 200, reply.text
        parts.append({"part_number": credential["part_number"], "etag": reply.headers["ETag"]})
    return parts


def test_a_single_part_upload_is_one_presigned_put(api: Api, root: str) -> None:
    for name, data in (("one.bin", b"\x00\x01binary\xff"), ("empty.txt", b"")):
        created = api.create(root, name, 1, file_size=len(data))
        assert len(created["credentials"]) == 1
        parts = put_parts(created, [data])
        done = api(
            "POST", f"/mpu/complete/{root}", json={"path": name, "upload_id": created["upload_id"], "parts": parts}
        )
        assert done.status_code == 200, done.text
        presigned = api.presigned(f"{root}/{name}")
        assert presigned["file_size"] == len(data)
        assert requests.get(presigned["url"], timeout=10).content == data


def test_a_multipart_upload_and_a_ranged_download_bypass_the_api(api: Api, root: str) -> None:
    chunks = [b"a" * (5 * MIB), b"b" * (5 * MIB), b"tail"]
    size = sum(map(len, chunks))
    created = api.create(f"{root}/weights", "/local/dir/w.bin", 3, file_size=size)
    parts = put_parts(created, chunks)
    body = {"path": "w.bin", "upload_id": created["upload_id"], "parts": parts}
    assert api("POST", f"/mpu/complete/{root}/weights", json=body).status_code == 200
    presigned = api.presigned(f"{root}/weights/w.bin")
    assert presigned["file_size"] == size
    ranged = requests.get(presigned["url"], headers={"Range": f"bytes={5 * MIB - 2}-{5 * MIB + 1}"}, timeout=10)
    assert (ranged.status_code, ranged.content) == (206, b"aabb")


def test_s3_rules_hold_on_the_local_engine(api: Api, root: str) -> None:
    created = api.create(root, "small-parts.bin", 2)
    parts = put_parts(created, [b"x" * 10, b"y" * 10])
    body = {"path": "small-parts.bin", "upload_id": created["upload_id"], "parts": parts}
    refused = api("POST", f"/mpu/complete/{root}", json=body)
    assert (refused.status_code, refused.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "EntityTooSmall" in refused.json()["message"]

    abort = {"path": "small-parts.bin", "upload_id": created["upload_id"]}
    assert api("POST", f"/mpu/abort/{root}", json=abort).status_code == 200
    assert api("POST", f"/mpu/abort/{root}", json=abort).status_code == 200
    gone = api("POST", f"/mpu/complete/{root}", json=body)
    assert (gone.status_code, gone.json()["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    late_part = requests.put(created["credentials"][0]["url"], data=b"late", timeout=10)
    assert late_part.status_code == 404 and "NoSuchUpload" in late_part.text


def with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


@needs_s3rver
def test_tampered_presigned_urls_are_refused(api: Api, root: str) -> None:
    for name in ("secret.txt", "other.txt"):
        parts = put_parts(created := api.create(root, name, 1), [name.encode()])
        api("POST", f"/mpu/complete/{root}", json={"path": name, "upload_id": created["upload_id"], "parts": parts})
    url = api.presigned(f"{root}/secret.txt")["url"]
    assert requests.get(url, timeout=10).content == b"secret.txt"
    signature = dict(parse_qsl(urlsplit(url).query))["X-Amz-Signature"]
    flipped = ("0" if signature[0] != "0" else "1") + signature[1:]
    tampered = {
        "signature changed": with_query(url, **{"X-Amz-Signature": flipped}),
        "key changed": url.replace("/secret.txt?", "/other.txt?"),
        "lifetime extended": with_query(url, **{"X-Amz-Expires": "604800"}),
        "signature removed": urlunsplit(urlsplit(url)._replace(query="")),
    }
    for what, bad in tampered.items():
        reply = requests.get(bad, timeout=10)
        assert reply.status_code == 403, what
        assert ("SignatureDoesNotMatch" if what != "signature removed" else "AccessDenied") in reply.text, what
    assert requests.put(url, data=b"overwrite", timeout=10).status_code == 403  # the method is signed too

    created = api.create(root, "parts.bin", 2)
    first = created["credentials"][0]["url"]
    assert requests.put(with_query(first, partNumber="2"), data=b"x", timeout=10).status_code == 403
    assert requests.put(with_query(first, uploadId="0" * 32), data=b"x", timeout=10).status_code == 403


@needs_s3rver
def test_expired_presigned_urls_are_refused(api: Api, root: str) -> None:
    put_parts(created := api.create(root, "short.txt", 1), [b"short"])
    endpoint = urlsplit(created["credentials"][0]["url"])
    key_id, secret = local_credentials()
    s3 = boto3.client(
        "s3",
        endpoint_url=f"{endpoint.scheme}://{endpoint.netloc}",
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
    )
    bucket = endpoint.path.split("/")[1]
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": f"{root}/short.txt"}, ExpiresIn=2)
    assert requests.get(url, timeout=10).content == b"short"  # valid while it lasts
    time.sleep(3.1)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403 and "Request has expired" in expired.text


ESCAPES = ["%2e%2e/%2e%2e/x", "%252e%252e/x", "sub/..%2f..%2fx", "a%5cb", "%5c%5cserver%5cshare", "a%00b", "a%23b"]


def test_path_escapes_get_400_over_http(api: Api, root: str) -> None:
    for escape in ESCAPES:
        path = f"{root}/{escape}"
        replies = {
            "PUT": api("PUT", f"/artifacts/{path}", data=b"x"),
            "GET": api("GET", f"/artifacts/{path}", allow_redirects=False),
            "presigned": api("GET", f"/presigned/{path}"),
            "DELETE": api("DELETE", f"/artifacts/{path}"),
            "mpu": api("POST", f"/mpu/create/{path}", json={"path": "f", "num_parts": 1}),
        }
        for what, reply in replies.items():
            assert (reply.status_code, reply.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), (escape, what)
    for path in ("../../etc", "/etc/passwd", f"{root}/../x", "0"):
        listed = api("GET", "/artifacts", params={"path": path})
        assert (listed.status_code, listed.json()["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), path


def test_a_proxied_put_over_the_limit_is_413_with_instructions(api: Api, root: str) -> None:
    reply = api("PUT", f"/artifacts/{root}/big.bin", data=b"x" * (5 * MIB + 1))
    assert (reply.status_code, reply.json()["error_code"]) == (413, "RESOURCE_LIMIT_EXCEEDED")
    assert "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE" in reply.json()["message"]
    assert api("GET", "/artifacts", params={"path": root}).json() == {"files": []}
