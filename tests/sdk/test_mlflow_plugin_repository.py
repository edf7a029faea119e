"""Which artifact repository mlflow builds with the plugin installed, and when it uploads presigned.

Against the in-process fake server: a server whose server-info says it takes presigned uploads gets
mpu create → part PUTs to its "S3" → complete, for `mlflow-artifacts:` and for `http(s)` artifact URIs; a
server that says nothing keeps mlflow's proxied PUT for `http(s)`, and so does any other HTTP URI.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

from tests.sdk import fake_mlflow
from tests.sdk.fake_mlflow import FakeMlflow
from trackway.mlflow_plugin.artifact_repo import TrackwayArtifactsRepository, TrackwayHttpArtifactRepository

ROOT = "0/0123456789abcdef0123456789abcdef/artifacts"
SERVER_INFO = ("GET", "/api/3.0/mlflow/server-info")


@pytest.fixture
def presigned_server(fake: FakeMlflow, monkeypatch: pytest.MonkeyPatch) -> FakeMlflow:
    monkeypatch.setitem(fake_mlflow.ROUTES, SERVER_INFO, lambda f, b, q: {"artifacts_presigned_only": True})
    return fake


def uploads(fake: FakeMlflow) -> list[tuple[str, str]]:
    return [(m, p.split("?")[0]) for m, p, _ in fake.requests if m == "PUT" or "/mpu/" in p]


def test_mlflow_artifacts_uris_upload_over_presigned_parts(
    presigned_server: FakeMlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "home"))
    (tmp_path / "f.bin").write_bytes(b"x" * 1000)
    repo = get_artifact_repository(f"mlflow-artifacts:/{ROOT}", tracking_uri=presigned_server.url)
    assert type(repo) is TrackwayArtifactsRepository
    repo.log_artifact(str(tmp_path / "f.bin"), "data")
    assert presigned_server.objects[f"{ROOT}/data/f.bin"] == b"x" * 1000
    assert [m for m, p in uploads(presigned_server) if p.startswith("/api/2.0/mlflow-artifacts/artifacts/")] == []
    assert any("/mpu/complete/" in p for _, p in uploads(presigned_server))


def test_http_uris_of_a_presigned_server_upload_presigned_and_trees_keep_their_layout(
    presigned_server: FakeMlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "home"))
    (tmp_path / "tree" / "a").mkdir(parents=True)
    (tmp_path / "tree" / "top.txt").write_bytes(b"top")
    (tmp_path / "tree" / "a" / "deep.txt").write_bytes(b"deep")
    repo = get_artifact_repository(f"{presigned_server.url}/api/2.0/mlflow-artifacts/artifacts/{ROOT}")
    assert type(repo) is TrackwayHttpArtifactRepository
    repo.log_artifacts(str(tmp_path / "tree"), "t")
    assert presigned_server.objects[f"{ROOT}/t/top.txt"] == b"top"
    assert presigned_server.objects[f"{ROOT}/t/a/deep.txt"] == b"deep"


def test_http_uris_of_a_server_that_says_nothing_keep_mlflows_proxied_put(
    fake: FakeMlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    (tmp_path / "f.txt").write_bytes(b"hello")
    repo = get_artifact_repository(f"{fake.url}/api/2.0/mlflow-artifacts/artifacts/{ROOT}")
    with pytest.raises(MlflowException):  # the fake cannot take a raw body: the attempt is the point
        repo.log_artifact(str(tmp_path / "f.txt"))
    assert uploads(fake) == [("PUT", f"/api/2.0/mlflow-artifacts/artifacts/{ROOT}/f.txt")]


def test_a_refused_upload_surfaces_as_an_mlflow_exception(
    presigned_server: FakeMlflow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "1")
    presigned_server.fail("/mpu/create/", 400, times=5)
    (tmp_path / "f.bin").write_bytes(b"x")
    repo = get_artifact_repository(f"mlflow-artifacts:/{ROOT}", tracking_uri=presigned_server.url)
    with pytest.raises(MlflowException, match=r"Presigned upload of .*f\.bin failed"):
        repo.log_artifact(str(tmp_path / "f.bin"))


def test_other_http_uris_are_mlflows_business() -> None:
    repo = get_artifact_repository("http://files.example/some/dir")
    assert type(repo) is TrackwayHttpArtifactRepository
    assert repo._transfers() is None  # not an mlflow artifacts service: mlflow's own upload
