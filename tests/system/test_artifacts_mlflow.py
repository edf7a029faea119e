"""Artifacts through the unmodified mlflow client (3.17.2) against the local stack (s3rver behind it).

The 3.17.2 client reads `multipart_downloads_enabled` from server-info, so its downloads ask
`presigned/<path>` and fetch ranges straight from S3; its uploads are proxied PUTs unless a file is over
MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE, and then go through mpu create → presigned part PUTs → complete.
The plugin (tests/system/test_mlflow_plugin.py) is switched off here: this is the client without it.
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from sklearn.linear_model import LogisticRegression

from tests.support.files import sha256_of
from tests.support.stock_mlflow import use_stock_artifact_repositories
from trackway_backend.local.process import StackProcess

MIB = 1024 * 1024
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/artifacts"


@pytest.fixture
def client(local_stack: StackProcess, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    use_stock_artifact_repositories(monkeypatch)
    mlflow.set_tracking_uri(local_stack.url)
    return MlflowClient(local_stack.url)


def write_tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)


def listing(client: MlflowClient, run_id: str, path: str | None = None) -> list[tuple[str, bool, int | None]]:
    return [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(run_id, path)]


def test_files_and_nested_trees_round_trip_byte_exact(client: MlflowClient, tmp_path: Path) -> None:
    files = {
        "notes.txt": "héllo wörld\n".encode(),
        "tree/empty.bin": b"",
        "tree/a/every_byte.bin": bytes(range(256)) * 1000,
        "tree/a/b/random.bin": os.urandom(3 * MIB + 17),
        "tree/a/b/with space.json": b'{"k": 1}',
    }
    write_tree(tmp_path / "src", files)
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "src" / "notes.txt"))
        mlflow.log_artifacts(str(tmp_path / "src" / "tree"), artifact_path="tree")
    run_id = run.info.run_id

    assert listing(client, run_id) == [("notes.txt", False, len(files["notes.txt"])), ("tree", True, None)]
    assert listing(client, run_id, "tree/a") == [
        ("tree/a/b", True, None),
        ("tree/a/every_byte.bin", False, 256_000),
    ]
    assert listing(client, run_id, "tree/a/b/random.bin") == []  # a file lists as nothing, as in MLflow
    assert listing(client, run_id, "no/such/dir") == []

    downloaded = Path(mlflow.artifacts.download_artifacts(run_id=run_id, dst_path=str(tmp_path / "dl")))
    for name, data in files.items():
        assert (downloaded / name).read_bytes() == data, name
    one = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="tree/empty.bin", dst_path=str(tmp_path))
    assert Path(one).read_bytes() == b""


def test_older_clients_download_through_a_redirect_to_s3(
    client: MlflowClient, local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = os.urandom(MIB + 3)
    write_tree(tmp_path, {"blob.bin": data})
    with mlflow.start_run() as run:
        mlflow.log_artifact(str(tmp_path / "blob.bin"))
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    redirect = requests.get(f"{local_stack.url}{ARTIFACTS_API}/{root}/blob.bin", allow_redirects=False, timeout=10)
    assert redirect.status_code == 302
    assert "X-Amz-Signature=" in redirect.headers["Location"]
    assert not redirect.headers["Location"].startswith(local_stack.url)  # the bytes come from S3, not the API

    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD", "false")  # the pre-3.17 download path
    out = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="blob.bin", dst_path=str(tmp_path))
    assert Path(out).read_bytes() == data


def test_a_proxied_upload_over_the_limit_says_how_to_upload_instead(
    client: MlflowClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "false")
    write_tree(tmp_path, {"six.bin": os.urandom(6 * MIB)})
    with mlflow.start_run(), pytest.raises(requests.HTTPError) as raised:
        mlflow.log_artifact(str(tmp_path / "six.bin"))
    message = str(raised.value)
    assert "413" in message and "RESOURCE_LIMIT_EXCEEDED" in message
    assert "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true" in message
    assert "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=5242880" in message


def test_a_200_mb_file_goes_up_in_parts_and_comes_back_identical(
    client: MlflowClient, local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * MIB))
    size = 200 * 1000 * 1000
    source = tmp_path / "big.bin"
    block = os.urandom(8 * MIB)
    with source.open("wb") as handle:
        for offset in range(0, size, len(block)):
            # Vary every block so a part written at the wrong offset cannot go unnoticed.
            handle.write((offset.to_bytes(8, "big") + block)[: min(len(block), size - offset)])
    expected = sha256_of(source)
    run = client.create_run("0")
    root = run.info.artifact_uri.removeprefix("mlflow-artifacts:/")
    try:
        # 20 parts of 10 MiB: through the local gateway as one PUT it would be refused (10 MB cap).
        client.log_artifact(run.info.run_id, str(source))
        assert listing(client, run.info.run_id) == [("big.bin", False, size)]
        source.unlink()
        out = mlflow.artifacts.download_artifacts(
            run_id=run.info.run_id, artifact_path="big.bin", dst_path=str(tmp_path / "dl")
        )
        assert sha256_of(Path(out)) == expected
    finally:
        for leftover in (source, tmp_path / "dl" / "big.bin"):
            leftover.unlink(missing_ok=True)
        requests.delete(f"{local_stack.url}{ARTIFACTS_API}/{root}/big.bin", timeout=30)


def test_a_logged_sklearn_model_loads_back_and_predicts_the_same(client: MlflowClient) -> None:
    rng = np.random.default_rng(7)
    features = rng.normal(size=(150, 4))
    labels = (features[:, 0] + 0.5 * features[:, 1] > 0).astype(int) + (features[:, 2] > 1).astype(int)
    model = LogisticRegression(max_iter=500).fit(features, labels)
    with mlflow.start_run() as run:
        mlflow.sklearn.log_model(model, name="model")
    loaded = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    assert len(set(model.predict(features))) == 3  # a real classifier, not a constant
