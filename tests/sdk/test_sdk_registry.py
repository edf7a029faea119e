"""Registry helpers: register (tolerating an existing model), aliases, download by alias."""

from __future__ import annotations

from pathlib import Path

import pytest

import trackway
from tests.sdk.fake_mlflow import FakeMlflow
from trackway.errors import RestError


def test_register_alias_and_download_by_alias(fake: FakeMlflow, tmp_path: Path) -> None:
    trackway.set_tracking_uri(fake.url)
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "MLmodel").write_text("flavors: {}\n")
    (tmp_path / "model" / "model.pkl").write_bytes(b"\x80\x04weights")
    with trackway.start_run() as run:
        trackway.log_artifacts(tmp_path / "model", "model")
    v1 = trackway.register_model(f"runs:/{run.info.run_id}/model", "iris")
    v2 = trackway.register_model(f"runs:/{run.info.run_id}/model", "iris")  # model exists: tolerated
    assert (v1.version, v2.version) == ("1", "2")
    assert v1.source == f"mlflow-artifacts:/0/{run.info.run_id}/artifacts/model" and v1.run_id == run.info.run_id
    trackway.set_alias("iris", "champion", 2)
    assert trackway.get_version_by_alias("iris", "champion").version == "2"
    out = trackway.download_model("iris", tmp_path / "dl", alias="champion")
    assert (out / "model.pkl").read_bytes() == b"\x80\x04weights"
    assert (out / "MLmodel").read_text() == "flavors: {}\n"
    trackway.delete_alias("iris", "champion")
    with pytest.raises(RestError) as info:
        trackway.get_version_by_alias("iris", "champion")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    assert trackway.download_model("iris", tmp_path / "v1", version=1).is_dir()
    with pytest.raises(ValueError):
        trackway.download_model("iris", tmp_path / "x")
