"""SDK artifacts, registry helpers and `trackway doctor` against the local stack (presigned S3 on s3rver)."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import trackway
from trackway.cli.main import main
from trackway.client import TrackwayClient
from trackway_backend.local.process import StackProcess

pytestmark = pytest.mark.system
MIB = 1024 * 1024


@pytest.fixture
def sdk(local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TrackwayClient]:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TRACKWAY_HANDLE_SIGNALS", "0")
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "3")
    trackway.reset()
    trackway.set_tracking_uri(local_stack.url)
    yield trackway.client()
    trackway.reset()


def test_multipart_upload_list_and_ranged_download(sdk: TrackwayClient, tmp_path: Path) -> None:
    data = os.urandom(37 * MIB)  # 4 parts up, 3 ranges down
    (tmp_path / "weights.bin").write_bytes(data)
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "config.json").write_text('{"lr": 0.01}')
    with trackway.start_run() as run:
        trackway.log_artifact(tmp_path / "weights.bin", "model")
        trackway.log_artifacts(tmp_path / "cfg", "model/config")
    listing = sdk.list_artifacts(run.info.artifact_uri, "model")
    assert {(f.path, f.is_dir) for f in listing} == {("model/weights.bin", False), ("model/config", True)}
    out = trackway.download_artifacts(run.info.run_id, "model", tmp_path / "dl")
    assert (out / "weights.bin").read_bytes() == data
    assert (out / "config" / "config.json").read_text() == '{"lr": 0.01}'


def test_register_alias_download_model(sdk: TrackwayClient, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    with trackway.start_run() as run:
        trackway.log_artifacts(tmp_path / "model", "model")
    name = f"sdk-model-{uuid.uuid4().hex[:6]}"
    version = trackway.register_model(f"runs:/{run.info.run_id}/model", name)
    trackway.register_model(f"runs:/{run.info.run_id}/model", name)
    trackway.set_alias(name, "champion", version.version)
    assert trackway.get_version_by_alias(name, "champion").version == version.version
    out = trackway.download_model(name, tmp_path / "dl", alias="champion")
    assert (out / "MLmodel").read_text() == "flavors: {}\n"
    trackway.delete_alias(name, "champion")
    with pytest.raises(trackway.RestError):
        trackway.get_version_by_alias(name, "champion")


def test_doctor_passes_on_the_local_stack(local_stack: StackProcess, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--tracking-uri", local_stack.url, "doctor"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "✓ read_access" in out and "✗" not in out


@pytest.mark.skipif(
    not os.environ.get("TRACKWAY_BENCH_1GB"),
    reason="1 GiB transfer benchmark, too slow for CI: opt in with TRACKWAY_BENCH_1GB=1",
)
def test_bench_1gb_upload_download_sdk_vs_mlflow(
    sdk: TrackwayClient, local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        for _ in range(1024):
            handle.write(os.urandom(MIB))
    with trackway.start_run() as run:
        started = time.perf_counter()
        trackway.log_artifact(big, "sdk")
        sdk_up = time.perf_counter() - started
    started = time.perf_counter()
    trackway.download_artifacts(run.info.run_id, "sdk/big.bin", tmp_path / "sdk-dl")
    sdk_down = time.perf_counter() - started
    (tmp_path / "sdk-dl" / "sdk" / "big.bin").unlink()
    monkeypatch.setenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "true")
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(5 * MIB))
    mlflow.set_tracking_uri(local_stack.url)
    client = mlflow.MlflowClient(local_stack.url)
    started = time.perf_counter()
    client.log_artifact(run.info.run_id, str(big), "mlflow")
    ml_up = time.perf_counter() - started
    started = time.perf_counter()
    client.download_artifacts(run.info.run_id, "mlflow/big.bin", str(tmp_path / "ml-dl"))
    ml_down = time.perf_counter() - started
    print(
        f"\n1 GiB  upload: trackway {sdk_up:.1f} s, mlflow {ml_up:.1f} s"
        f"\n1 GiB download: trackway {sdk_down:.1f} s, mlflow {ml_down:.1f} s"
    )
