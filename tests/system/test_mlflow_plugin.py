"""The unmodified mlflow client (3.17.2) with trackway's plugin, against the local stack.

The plugin is registered through entry points by the editable install, so these tests run in-process, as a
training script would. Every request the client makes goes through `requests.Session.request`; a recorder
wrapped around it proves that no artifact byte went through the API (no proxied PUT) and that the bytes
went to S3 (s3rver) over presigned URLs. "Without the plugin" puts mlflow's own repositories back into its
registry for one test.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import mlflow
import numpy as np
import pytest
import requests
from mlflow import MlflowClient
from mlflow.store.artifact import artifact_repository_registry as registry
from mlflow.telemetry.client import get_telemetry_client, set_telemetry_client
from sklearn.linear_model import LogisticRegression

from tests.support.files import sha256_of
from tests.support.stock_mlflow import use_stock_artifact_repositories
from trackway.mlflow_plugin.artifact_repo import TrackwayArtifactsRepository
from trackway_backend.local.process import StackProcess

MIB = 1024 * 1024
PROXIED = "/api/2.0/mlflow-artifacts/artifacts/"
TIMINGS: dict[str, float] = {}


@pytest.fixture(autouse=True, scope="module")
def _no_telemetry() -> Iterator[None]:
    """mlflow's telemetry thread unsets an environment variable when its config fetch fails (no network
    here), which races with `requests` iterating os.environ in the recorder's calls: switch it off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        telemetry = get_telemetry_client()
        config_thread = getattr(telemetry, "_config_thread", None)
        if config_thread is not None:
            config_thread.join(timeout=60)
        set_telemetry_client()
        yield


@dataclass
class Recorder:
    """(method, url) of every HTTP request made in this process while installed."""

    api: str
    calls: list[tuple[str, str]] = field(default_factory=list)

    def proxied_puts(self) -> list[str]:
        return [url for method, url in self.calls if method == "PUT" and PROXIED in urlsplit(url).path]

    def presigned_puts(self) -> list[str]:
        return [url for method, url in self.calls if method == "PUT" and not url.startswith(self.api)]


@pytest.fixture
def recorder(local_stack: StackProcess, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    recorded = Recorder(local_stack.url)
    real = requests.Session.request

    def request(self: requests.Session, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:
        recorded.calls.append((method.upper(), str(url)))
        return real(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", request)
    yield recorded


@pytest.fixture
def client(local_stack: StackProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MlflowClient:
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "trackway-home"))  # resumable-upload state
    mlflow.set_tracking_uri(local_stack.url)
    return MlflowClient(local_stack.url)


@pytest.fixture
def without_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """mlflow's registry as it is when the plugin is not installed."""
    use_stock_artifact_repositories(monkeypatch)


def random_file(path: Path, size: int) -> str:
    """Write `size` random bytes in 8 MiB chunks; return their sha256."""
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for offset in range(0, size, 8 * MIB):
            chunk = os.urandom(min(8 * MIB, size - offset))
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def test_the_plugin_is_what_mlflow_uses() -> None:
    assert registry.get_registered_artifact_repositories()["mlflow-artifacts"] is TrackwayArtifactsRepository


@pytest.mark.parametrize("size", [0, 25 * 1000 * 1000, 600 * 1000 * 1000], ids=["0B", "25MB", "600MB"])
def test_files_of_any_size_round_trip_byte_exact_without_a_proxied_put(
    client: MlflowClient, recorder: Recorder, tmp_path: Path, size: int
) -> None:
    source = tmp_path / f"file-{size}.bin"
    expected = random_file(source, size)
    run_id = client.create_run("0").info.run_id
    try:
        started = time.monotonic()
        client.log_artifact(run_id, str(source), "data")
        TIMINGS[f"plugin upload {size} B"] = time.monotonic() - started
        source.unlink()
        assert [(f.path, f.file_size) for f in client.list_artifacts(run_id, "data")] == [(f"data/{source.name}", size)]
        out = Path(client.download_artifacts(run_id, f"data/{source.name}", str(tmp_path / "dl")))
        assert sha256_of(out) == expected
    finally:
        for leftover in tmp_path.rglob("*.bin"):
            leftover.unlink()
    assert recorder.proxied_puts() == []
    assert len(recorder.presigned_puts()) == max(1, -(-size // (10 * MIB)))  # 10 MiB parts, straight to S3
    print(f"\nplugin upload of {size} bytes: {TIMINGS[f'plugin upload {size} B']:.2f} s")


def test_a_model_over_20_mb_is_logged_registered_and_loaded_by_alias(client: MlflowClient, recorder: Recorder) -> None:
    rng = np.random.default_rng(11)
    features = rng.normal(size=(200, 4))
    labels = (features[:, 0] + features[:, 1] > 0).astype(int)
    model = LogisticRegression().fit(features, labels)
    model.ballast_ = rng.random(3 * 1000 * 1000)  # 24 MB of float64 that the model carries along
    name = f"plugin-big-model-{os.getpid()}-{time.time_ns()}"
    with mlflow.start_run():
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
    location = client.get_logged_model(info.model_id).artifact_location
    sizes = {f.path: f.file_size for f in mlflow.artifacts.list_artifacts(artifact_uri=location)}
    assert max(size or 0 for size in sizes.values()) > 20 * 1000 * 1000, sizes
    client.set_registered_model_alias(name, "champion", info.registered_model_version)
    loaded = mlflow.sklearn.load_model(f"models:/{name}@champion")
    np.testing.assert_array_equal(loaded.predict(features), model.predict(features))
    np.testing.assert_array_equal(loaded.ballast_, model.ballast_)
    assert recorder.proxied_puts() == []
    assert recorder.presigned_puts()


def test_without_the_plugin_small_files_go_through_the_api_and_25_mb_gets_a_413(
    client: MlflowClient, recorder: Recorder, tmp_path: Path, without_plugin: None
) -> None:
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_bytes(b"hello\n")
    random_file(big, 25 * 1000 * 1000)
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(small))
    assert len(recorder.proxied_puts()) == 1  # today's behaviour: one PUT through the API
    assert Path(client.download_artifacts(run_id, "small.txt", str(tmp_path / "dl"))).read_bytes() == b"hello\n"

    started = time.monotonic()
    with pytest.raises(requests.HTTPError) as raised:
        client.log_artifact(run_id, str(big))
    TIMINGS["no plugin 25 MB (413)"] = time.monotonic() - started
    assert raised.value.response.status_code == 413
    assert "pip install 'trackway[mlflow]'" in raised.value.response.text  # the local gateway names the fix
    assert [f.path for f in client.list_artifacts(run_id)] == ["small.txt"]
    print(f"\nno plugin, 25 MB: 413 after {TIMINGS['no plugin 25 MB (413)']:.2f} s: {raised.value}")


def test_without_the_plugin_an_upload_over_the_lambda_limit_names_the_plugin(
    client: MlflowClient, tmp_path: Path, without_plugin: None
) -> None:
    # Between 5 MiB and API Gateway's 10 MB the handler answers (above, the gateway: in AWS a bare 413).
    six = tmp_path / "six.bin"
    random_file(six, 6 * MIB)
    run_id = client.create_run("0").info.run_id
    with pytest.raises(requests.HTTPError) as raised:
        client.log_artifact(run_id, str(six))
    message = str(raised.value)
    assert raised.value.response.status_code == 413
    assert message.index("pip install 'trackway[mlflow]'") < message.index("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD")


def test_listing_shows_directories_at_every_level(client: MlflowClient, tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello")
    (tmp_path / "tree" / "inner" / "deeper").mkdir(parents=True)
    (tmp_path / "tree" / "inner" / "b.txt").write_text("b")
    (tmp_path / "tree" / "inner" / "deeper" / "c.txt").write_text("c")
    run_id = client.create_run("0").info.run_id
    client.log_artifact(run_id, str(tmp_path / "hello.txt"))
    client.log_artifacts(run_id, str(tmp_path / "tree"), "sub")  # `sub` holds only a directory

    def listing(path: str | None = None) -> list[tuple[str, bool]]:
        return [(f.path, f.is_dir) for f in client.list_artifacts(run_id, path)]

    assert listing() == [("hello.txt", False), ("sub", True)]
    assert listing("sub") == [("sub/inner", True)]
    assert listing("sub/inner") == [("sub/inner/b.txt", False), ("sub/inner/deeper", True)]
    assert listing("sub/inner/deeper") == [("sub/inner/deeper/c.txt", False)]
