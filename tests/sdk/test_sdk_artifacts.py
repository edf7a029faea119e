"""Artifacts over the presigned protocol: multipart uploads (parallel, resumable), ranged downloads."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.artifacts.download import Downloader
from trackway.artifacts.paths import artifact_root
from trackway.artifacts.progress import Progress
from trackway.artifacts.upload import MIB, Uploader, plan_part_size
from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.errors import ConfigurationError, PresignedURLError
from trackway.session import Session


@pytest.fixture
def client(settings: Settings) -> TrackwayClient:
    return TrackwayClient(settings=settings)


def _file(path: Path, size: int) -> bytes:
    data = os.urandom(size)
    path.write_bytes(data)
    return data


def _puts(fake: FakeMlflow) -> list[str]:
    return [p for m, p, _ in fake.requests if m == "PUT"]


def test_part_size_plan() -> None:
    assert plan_part_size(1) == 10 * MIB
    assert plan_part_size(100, preferred=1) == 5 * MIB  # S3's minimum
    assert plan_part_size(200_000 * MIB) == 20 * MIB  # ≤ 10,000 parts


def test_multipart_upload_and_ranged_download_roundtrip(session: Session, fake: FakeMlflow, tmp_path: Path) -> None:
    data = _file(tmp_path / "weights.bin", 23 * MIB)
    with session.start_run() as run:
        session.log_artifact(tmp_path / "weights.bin", "model")
    key = f"0/{run.info.run_id}/artifacts/model/weights.bin"
    assert fake.objects[key] == data
    assert len(_puts(fake)) == 3  # 10 + 10 + 3 MiB
    assert all("Authorization" not in h for m, _, h in fake.requests if m == "PUT")
    dst = session.client.download_artifacts(run.info.artifact_uri, "model", tmp_path / "out")
    assert (dst / "weights.bin").read_bytes() == data
    ranged = [h.get("Range") for m, p, h in fake.requests if m == "GET" and "/_s3/obj/" in p]
    assert len(ranged) == 2 and all(r and r.startswith("bytes=") for r in ranged)  # 16 MiB chunks


def test_empty_and_small_files_use_one_part(client: TrackwayClient, fake: FakeMlflow, tmp_path: Path) -> None:
    rid = fake.add_run()
    (tmp_path / "tree" / "sub").mkdir(parents=True)
    (tmp_path / "tree" / "empty.txt").write_bytes(b"")
    (tmp_path / "tree" / "sub" / "a.json").write_text("{}")
    uri = f"mlflow-artifacts:/0/{rid}/artifacts"
    client.log_artifacts(uri, tmp_path / "tree", "plots")
    assert fake.objects[f"0/{rid}/artifacts/plots/empty.txt"] == b""
    assert fake.objects[f"0/{rid}/artifacts/plots/sub/a.json"] == b"{}"
    listing = client.list_artifacts(uri, "plots")
    assert sorted((f.path, f.is_dir) for f in listing) == [("plots/empty.txt", False), ("plots/sub", True)]
    out = client.download_artifacts(uri, "", tmp_path / "dl")
    assert (out / "plots" / "sub" / "a.json").read_text() == "{}"
    assert (out / "plots" / "empty.txt").read_bytes() == b""


def test_interrupted_upload_resumes_with_only_the_missing_parts(
    client: TrackwayClient, fake: FakeMlflow, tmp_path: Path, settings: Settings
) -> None:
    data = _file(tmp_path / "big.bin", 31 * MIB)  # 4 parts of 10 MiB (last 1 MiB)
    uploader = Uploader(client.rest, settings.uploads_path, workers=1)
    fake.fail("/_s3/part/.*/3$", 503, times=10)  # part 3's store is down for longer than the retries
    with pytest.raises(PresignedURLError):
        uploader.upload_file(tmp_path / "big.bin", "0/r/artifacts")
    assert len(list(settings.uploads_path.glob("*.json"))) == 1  # progress kept on disk
    first_puts = len(_puts(fake))
    fake.fail_rules.clear()
    uploader.upload_file(tmp_path / "big.bin", "0/r/artifacts")
    resumed = {p.split("/")[-1].split("?")[0] for p in _puts(fake)[first_puts:]}
    assert "3" in resumed and not resumed & {"1", "2"}  # part 4 may have gone through the first time
    assert fake.objects["0/r/artifacts/big.bin"] == data
    assert list(settings.uploads_path.glob("*.json")) == []


def test_resume_with_a_dead_upload_id_starts_over(
    client: TrackwayClient, fake: FakeMlflow, tmp_path: Path, settings: Settings
) -> None:
    data = _file(tmp_path / "big.bin", 12 * MIB)
    uploader = Uploader(client.rest, settings.uploads_path, workers=1)
    fake.fail("/_s3/part/.*/2$", 503, times=10)
    with pytest.raises(PresignedURLError):
        uploader.upload_file(tmp_path / "big.bin", "0/r/artifacts")
    fake.fail_rules.clear()
    fake.uploads.clear()  # the server aborted it meanwhile: the stored part URLs now 404
    uploader.upload_file(tmp_path / "big.bin", "0/r/artifacts")
    assert fake.objects["0/r/artifacts/big.bin"] == data


def test_a_part_refused_for_good_aborts_the_upload(
    client: TrackwayClient, fake: FakeMlflow, tmp_path: Path, settings: Settings
) -> None:
    _file(tmp_path / "f.bin", 1000)
    fake.fail("/_s3/part/", 403, times=1)
    with pytest.raises(PresignedURLError) as info:
        Uploader(client.rest, settings.uploads_path).upload_file(tmp_path / "f.bin", "0/r/artifacts")
    assert info.value.status == 403
    assert fake.uploads == {} and any("/mpu/abort/" in p for _, p, _ in fake.requests)
    assert list(settings.uploads_path.glob("*.json")) == []


def test_download_falls_back_to_one_stream_when_range_is_ignored(
    client: TrackwayClient, fake: FakeMlflow, tmp_path: Path
) -> None:
    fake.objects["0/r/artifacts/x.bin"] = data = os.urandom(3 * MIB + 5)
    fake.ignore_range = True
    Downloader(client.rest, chunk_size=MIB).download_file("0/r/artifacts/x.bin", tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == data
    assert not list(tmp_path.glob(".*partial"))


def test_parallel_ranges_reassemble_exactly(client: TrackwayClient, fake: FakeMlflow, tmp_path: Path) -> None:
    fake.objects["0/r/artifacts/x.bin"] = data = os.urandom(5 * MIB + 123)
    Downloader(client.rest, chunk_size=MIB, workers=4).download_file("0/r/artifacts/x.bin", tmp_path / "x.bin")
    assert (tmp_path / "x.bin").read_bytes() == data
    assert sum("/_s3/obj/" in p for _, p, _ in fake.requests) == 6


def test_artifact_uri_forms() -> None:
    assert artifact_root("mlflow-artifacts:/1/abc/artifacts") == "1/abc/artifacts"
    assert artifact_root("mlflow-artifacts://host:5000/1/abc/artifacts/") == "1/abc/artifacts"
    assert artifact_root("https://x/prod/api/2.0/mlflow-artifacts/artifacts/1/a%20b") == "1/a b"
    with pytest.raises(ConfigurationError, match="presigned"):
        artifact_root("s3://bucket/1/abc")


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal() -> None:
    tty, pipe = _Tty(), io.StringIO()
    for stream in (tty, pipe):
        with Progress(2 * MIB, "file.bin", stream=stream) as bar:
            bar.update(MIB)
            bar.update(MIB)
    assert "100.0%" in tty.getvalue() and "file.bin" in tty.getvalue()
    assert pipe.getvalue() == ""
