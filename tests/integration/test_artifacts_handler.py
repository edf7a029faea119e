"""The artifacts Lambda in process on moto (S3 and DynamoDB), fed API Gateway HTTP API events.

Presigned URLs are followed with `requests`, which moto intercepts, so a whole transfer runs here: the
handler hands out URLs, the "client" moves the bytes to S3, the handler completes.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from tests.integration.conftest import SAMPLES, Call, Context, api_event

ART = "/api/2.0/mlflow-artifacts"
API = "/api/2.0/mlflow"
MIB = 1024 * 1024
Reply = tuple[int, Any, dict[str, str]]
ArtCall = Callable[..., Reply]


class GuardedEvent(dict[str, Any]):
    """An event whose body cannot be read without failing the request."""

    def __getitem__(self, key: str) -> Any:
        if key == "body":
            raise AssertionError("the handler read the request body")
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "body":
            raise AssertionError("the handler read the request body")
        return super().get(key, default)


def put_event(path: str, data: bytes, content_length: int | None = None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLES / "put_artifact.json").read_text())
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    event["body"] = base64.b64encode(data).decode()
    event["pathParameters"] = {"path": path.split("/artifacts/", 1)[1]}
    if content_length is None:
        event["headers"].pop("content-length")
    else:
        event["headers"]["content-length"] = str(content_length)
    return event


@pytest.fixture
def art(call: Call) -> Iterator[ArtCall]:
    """Invoke the artifacts Lambda; returns (status, decoded body, headers)."""
    from trackway_backend.adapters.s3.buckets import create_missing_bucket
    from trackway_backend.adapters.s3.client import s3_client
    from trackway_backend.handlers import artifacts
    from trackway_backend.settings import ArtifactSettings

    s3_client.cache_clear()
    artifacts.function.reset()
    create_missing_bucket(ArtifactSettings.from_env())

    def invoke(
        method: str,
        route: str,
        body: dict[str, Any] | None = None,
        /,
        *,
        event: dict[str, Any] | None = None,
        **params: Any,
    ) -> Reply:
        response = artifacts.handler(event or api_event(method, route, body, params), Context("trackway-artifacts"))
        text = response.get("body") or ""
        try:
            decoded: Any = json.loads(text)
        except ValueError:
            decoded = text
        return response["statusCode"], decoded, response.get("headers") or {}

    yield invoke
    artifacts.function.reset()
    s3_client.cache_clear()


@pytest.fixture
def root(call: Call) -> str:
    """A new run's artifact root, relative to mlflow-artifacts:/."""
    experiment = call("POST", f"{API}/experiments/create", {"name": "artifacts"})[1]["experiment_id"]
    run = call("POST", f"{API}/runs/create", {"experiment_id": experiment})[1]["run"]["info"]
    return str(run["artifact_uri"]).removeprefix("mlflow-artifacts:/")


def put(art: ArtCall, path: str, data: bytes) -> Reply:
    return art("PUT", "", event=put_event(f"{ART}/artifacts/{path}", data, len(data)))


def test_a_proxied_put_lists_and_downloads_over_presigned_urls(art: ArtCall, root: str) -> None:
    data = bytes(range(256)) * 4
    assert put(art, f"{root}/model/weights.bin", data)[0] == 200
    assert art("GET", f"{ART}/artifacts", path=root)[1] == {"files": [{"path": "model", "is_dir": True}]}
    listing = art("GET", f"{ART}/artifacts", path=f"{root}/model")[1]
    assert listing == {"files": [{"path": "weights.bin", "is_dir": False, "file_size": len(data)}]}

    status, _, headers = art("GET", f"{ART}/artifacts/{root}/model/weights.bin")
    assert status == 302
    assert requests.get(headers["Location"], timeout=10).content == data

    status, presigned, _ = art("GET", f"{ART}/presigned/{root}/model/weights.bin")
    assert (status, presigned["file_size"], presigned["headers"]) == (200, len(data), {})
    ranged = requests.get(presigned["url"], headers={"Range": "bytes=10-19"}, timeout=10)
    assert (ranged.status_code, ranged.content) == (206, data[10:20])


def test_presigned_urls_are_short_lived_sigv4_and_scoped_to_one_key(art: ArtCall, root: str) -> None:
    put(art, f"{root}/a.txt", b"a")
    url = urlsplit(art("GET", f"{ART}/presigned/{root}/a.txt")[1]["url"])
    query = parse_qs(url.query)
    assert url.path.endswith(f"/{root}/a.txt")
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["900"]
    created = art("POST", f"{ART}/mpu/create/{root}", {"path": "big.bin", "num_parts": 2})[1]
    for credential in created["credentials"]:
        part = urlsplit(credential["url"])
        assert part.path.endswith(f"/{root}/big.bin")
        assert parse_qs(part.query)["uploadId"] == [created["upload_id"]]
        assert parse_qs(part.query)["partNumber"] == [str(credential["part_number"])]


def test_an_upload_over_the_limit_is_refused_from_its_content_length_without_reading_the_body(
    art: ArtCall, root: str
) -> None:
    big = GuardedEvent(put_event(f"{ART}/artifacts/{root}/big.bin", b"", 5 * MIB + 1))
    status, body, _ = art("PUT", "", event=big)
    assert (status, body["error_code"]) == (413, "RESOURCE_LIMIT_EXCEEDED")
    assert "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true" in body["message"]
    assert "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=5242880" in body["message"]
    assert "mlflow>=3.18" in body["message"]
    # The guard works: an upload under the limit does read the body, and fails on the guard.
    small = GuardedEvent(put_event(f"{ART}/artifacts/{root}/small.bin", b"", 10))
    assert art("PUT", "", event=small)[1]["message"] == "Internal error: AssertionError"
    assert art("GET", f"{ART}/artifacts", path=root)[1] == {"files": []}


def test_a_chunked_upload_without_content_length_is_measured_before_decoding(art: ArtCall, root: str) -> None:
    status, body, _ = art("PUT", "", event=put_event(f"{ART}/artifacts/{root}/big.bin", b"x" * (5 * MIB + 3)))
    assert (status, body["error_code"]) == (413, "RESOURCE_LIMIT_EXCEEDED")
    assert art("PUT", "", event=put_event(f"{ART}/artifacts/{root}/empty", b""))[0] == 200
    assert art("GET", f"{ART}/artifacts", path=root)[1]["files"] == [{"path": "empty", "is_dir": False, "file_size": 0}]


ESCAPES = ["../x", "%2e%2e/%2e%2e/x", "%252e%252e/x", "sub/..%2f..%2fx", "a%5cb", "..%5c..%5cx", "a%00b"]


def test_path_escapes_are_invalid_parameter_on_every_route(art: ArtCall, root: str) -> None:
    # One test, not one per case: each moto setup costs more than all these calls.
    for escape in ESCAPES:
        path = f"{root}/{escape}"
        replies = [
            art("PUT", "", event=put_event(f"{ART}/artifacts/{path}", b"x", 1)),
            art("GET", f"{ART}/artifacts/{path}"),
            art("GET", f"{ART}/presigned/{path}"),
            art("DELETE", f"{ART}/artifacts/{path}"),
            art("GET", f"{ART}/artifacts", path=path),
            art("POST", f"{ART}/mpu/create/{path}", {"path": "f", "num_parts": 1}),
        ]
        codes = [(status, body["error_code"]) for status, body, _ in replies]
        assert codes == [(400, "INVALID_PARAMETER_VALUE")] * 6, escape
    assert art("GET", f"{ART}/artifacts", path=root)[1] == {"files": []}


def test_an_upload_is_named_by_the_base_name_of_the_path_sent(art: ArtCall, root: str) -> None:
    # Clients before 3.18 send the full local path, so only its last segment names the file.
    created = art("POST", f"{ART}/mpu/create/{root}/d", {"path": "../../x.bin", "num_parts": 1})[1]
    assert urlsplit(created["credentials"][0]["url"]).path.endswith(f"/{root}/d/x.bin")
    for name in ("%2e%2e", "a\x00b", "dir/"):
        status, body, _ = art("POST", f"{ART}/mpu/create/{root}", {"path": name, "num_parts": 1})
        assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")


def test_paths_outside_any_artifact_root_are_refused(art: ArtCall) -> None:
    for path in ("/etc/passwd", "1", "1/not-a-run/artifacts/x", ""):
        status, body, _ = art("GET", f"{ART}/artifacts", path=path)
        assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), path


def test_unknown_runs_are_not_found_and_deleted_runs_take_no_uploads(art: ArtCall, call: Call, root: str) -> None:
    unknown = root.replace(root.split("/")[1], "f" * 32)
    status, body, _ = put(art, f"{unknown}/x", b"x")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    put(art, f"{root}/kept.txt", b"kept")
    assert call("POST", f"{API}/runs/delete", {"run_id": root.split("/")[1]})[0] == 200
    for status, body, _ in (
        put(art, f"{root}/x", b"x"),
        art("POST", f"{ART}/mpu/create/{root}", {"path": "x", "num_parts": 3}),
    ):
        assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
        assert "'active' state" in body["message"]
    assert art("GET", f"{ART}/presigned/{root}/kept.txt")[0] == 200


def upload_parts(created: dict[str, Any], chunks: list[bytes]) -> list[dict[str, Any]]:
    parts = []
    for credential, chunk in zip(created["credentials"], chunks, strict=True):
        response = requests.put(credential["url"], data=chunk, headers=credential["headers"], timeout=30)
        assert response.status_code == 200
        parts.append({"part_number": credential["part_number"], "etag": response.headers["ETag"]})
    return parts


def test_a_multipart_upload_goes_straight_to_s3_and_completes(art: ArtCall, root: str) -> None:
    chunks = [b"a" * (5 * MIB), b"b" * 1000]
    created = art("POST", f"{ART}/mpu/create/{root}/data", {"path": "/home/me/w.bin", "num_parts": 2})[1]
    assert not created["upload_id"].startswith("single-put-")
    parts = upload_parts(created, chunks)
    body = {"path": "/home/me/w.bin", "upload_id": created["upload_id"], "parts": parts[::-1]}
    assert art("POST", f"{ART}/mpu/complete/{root}/data", body)[0] == 200
    url = art("GET", f"{ART}/presigned/{root}/data/w.bin")[1]["url"]
    assert requests.get(url, timeout=30).content == b"".join(chunks)


def test_parts_s3_refuses_and_unknown_uploads_are_client_errors(art: ArtCall, root: str) -> None:
    created = art("POST", f"{ART}/mpu/create/{root}", {"path": "w.bin", "num_parts": 2})[1]
    parts = upload_parts(created, [b"a" * 10, b"b" * 10])
    status, body, _ = art(
        "POST", f"{ART}/mpu/complete/{root}", {"path": "w.bin", "upload_id": created["upload_id"], "parts": parts}
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "EntityTooSmall" in body["message"]
    abort = {"path": "w.bin", "upload_id": created["upload_id"]}
    assert art("POST", f"{ART}/mpu/abort/{root}", abort)[0] == 200
    assert art("POST", f"{ART}/mpu/abort/{root}", abort)[0] == 200  # aborting twice is fine
    # Completing an aborted upload is 404 on S3 and s3rver (tests/system); moto answers it with a KeyError.


PLANS_S3_REFUSES = [
    ({"path": "w.bin", "num_parts": 10_001}, "between 1 and 10000"),
    ({"path": "w.bin", "num_parts": 3, "file_size": 6 * MIB}, "at least 5 MiB"),
    ({"path": "w.bin", "num_parts": 1, "file_size": 6 * 1024**3}, "at most 5 GiB"),
    ({"path": "w.bin", "num_parts": "many"}, "num_parts"),
    ({"num_parts": 1}, "path"),
]


def test_part_plans_against_s3_rules_are_refused_at_create(art: ArtCall, root: str) -> None:
    for request_body, reason in PLANS_S3_REFUSES:
        status, body, _ = art("POST", f"{ART}/mpu/create/{root}", request_body)
        assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE"), request_body
        assert reason in body["message"]


def test_an_empty_file_is_one_presigned_put(art: ArtCall, root: str) -> None:
    created = art("POST", f"{ART}/mpu/create/{root}", {"path": "empty", "num_parts": 0})[1]
    assert created["upload_id"].startswith("single-put-") and len(created["credentials"]) == 1
    complete = {"path": "empty", "upload_id": created["upload_id"]}
    status, body, _ = art(
        "POST", f"{ART}/mpu/complete/{root}", {**complete, "parts": [{"part_number": 1, "etag": "x"}]}
    )
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")  # not PUT yet
    parts = upload_parts(created, [b""])
    assert art("POST", f"{ART}/mpu/complete/{root}", {**complete, "parts": parts})[0] == 200
    assert art("GET", f"{ART}/presigned/{root}/empty")[1]["file_size"] == 0


def test_logged_model_roots_take_artifacts(art: ArtCall, call: Call) -> None:
    model = call("POST", f"{API}/logged-models", {"experiment_id": "0", "name": "m"})[1]["model"]["info"]
    model_root = str(model["artifact_uri"]).removeprefix("mlflow-artifacts:/")
    assert put(art, f"{model_root}/MLmodel", b"flavors: {}")[0] == 200
    files = art("GET", f"{ART}/artifacts", path=model_root)[1]["files"]
    assert files == [{"path": "MLmodel", "is_dir": False, "file_size": 11}]


def test_delete_removes_a_file_or_a_whole_tree(art: ArtCall, root: str) -> None:
    for name in ("a.txt", "dir/b.txt", "dir/sub/c.txt", "dir2/d.txt"):
        put(art, f"{root}/{name}", b"x")
    assert art("DELETE", f"{ART}/artifacts/{root}/dir")[0] == 200
    assert art("DELETE", f"{ART}/artifacts/{root}/a.txt")[0] == 200
    assert art("GET", f"{ART}/artifacts", path=root)[1]["files"] == [{"path": "dir2", "is_dir": True}]


def test_missing_things_list_empty_and_download_as_not_found(art: ArtCall, root: str) -> None:
    put(art, f"{root}/file.txt", b"x")
    assert art("GET", f"{ART}/artifacts", path=f"{root}/nothing")[1] == {"files": []}
    assert art("GET", f"{ART}/artifacts", path=f"{root}/file.txt")[1] == {"files": []}
    for path in (f"{ART}/artifacts/{root}/nothing", f"{ART}/presigned/{root}/nothing"):
        status, body, _ = art("GET", path)
        assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_names_with_spaces_and_percent_signs_round_trip(art: ArtCall, root: str) -> None:
    name = "a dir/100% done.txt"
    assert put(art, f"{root}/{quote(name)}", b"ok")[0] == 200
    listing = art("GET", f"{ART}/artifacts", path=f"{root}/a dir")[1]["files"]
    assert listing == [{"path": "100% done.txt", "is_dir": False, "file_size": 2}]
    assert art("GET", f"{ART}/presigned/{root}/{quote(name)}")[1]["file_size"] == 2


def test_the_sample_event_is_a_real_put(art: ArtCall) -> None:
    # The sample names a run that does not exist: the shape parses, the owner check answers.
    event = copy.deepcopy(json.loads((Path(SAMPLES) / "put_artifact.json").read_text()))
    status, body, _ = art("PUT", "", event=event)
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
