"""Upload and download throughput of one 200 MB artifact through the mlflow client, side by side:

- trackway's local stack: the mlflow 3.17.2 client uploads in presigned multipart parts straight to S3
  (s3rver): with the trackway plugin installed (`sdk[mlflow]`, as `make install` does) the plugin's
  artifact repository does it, and without it mlflow's own proxy multipart upload does, which the
  environment below turns on for files over 5 MiB. It downloads with ranged GETs of a presigned URL (it
  reads `multipart_downloads_enabled` from server-info). bench/plugin_uploads.py compares the two paths.
- `mlflow server --serve-artifacts` (sqlite backend, local artifacts directory, 127.0.0.1): the same
  client streams the bytes through the server, a PUT and a GET.

Each transfer is repeated (3 times by default) and the medians are reported, in MB/s (10^6 bytes).

    .venv/bin/python -m bench.artifacts_throughput [--size-mb 200] [--repetitions 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from bench import machine, targets

MB = 1000 * 1000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Result:
    target: str
    size_mb: int
    upload_mb_s: list[float]
    download_mb_s: list[float]

    @property
    def upload_median(self) -> float:
        return statistics.median(self.upload_mb_s)

    @property
    def download_median(self) -> float:
        return statistics.median(self.download_mb_s)


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """The mlflow client reads these at call time; restore the caller's environment afterwards."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def write_file(path: Path, size: int) -> None:
    block = os.urandom(8 * MIB)
    with path.open("wb") as handle:
        for offset in range(0, size, len(block)):
            handle.write(block[: min(len(block), size - offset)])


def measure(url: str, source: Path, work: Path, repetitions: int) -> tuple[list[float], list[float]]:
    mlflow.set_tracking_uri(url)
    client = MlflowClient(url)
    run_id = client.create_run("0").info.run_id
    size_mb = source.stat().st_size / MB
    uploads, downloads = [], []
    for repetition in range(repetitions):
        folder = f"rep-{repetition}"
        started = time.perf_counter()
        client.log_artifact(run_id, str(source), folder)
        uploads.append(size_mb / (time.perf_counter() - started))
        destination = work / "download"
        started = time.perf_counter()
        mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=f"{folder}/{source.name}", dst_path=str(destination)
        )
        downloads.append(size_mb / (time.perf_counter() - started))
        shutil.rmtree(destination)
    client.set_terminated(run_id)
    return uploads, downloads


Target = tuple[str, Callable[[Path], AbstractContextManager[targets.Target]], dict[str, str]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    trackway_client = {
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(5 * MIB),
    }
    chosen: list[Target] = [
        ("trackway", targets.trackway, trackway_client),
        (
            "mlflow-server",
            lambda work: targets.mlflow_server(
                "mlflow-server", f"sqlite:///{work / 'mlflow.db'}", work, "mlflow server --serve-artifacts"
            ),
            {},
        ),
    ]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="trackway-artifacts-bench-") as tmp:
        work = Path(tmp)
        source = work / "artifact.bin"
        write_file(source, args.size_mb * MB)
        for name, start, client_env in chosen:
            print(f"{name}: {args.repetitions} x {args.size_mb} MB up and down ...", flush=True)
            with start(work / name) as target, environment(client_env):
                uploads, downloads = measure(target.url, source, work, args.repetitions)
            results.append(Result(name, args.size_mb, uploads, downloads))

    print(f"\n{'target':<16}{'upload MB/s (median)':>24}{'download MB/s (median)':>26}   runs (up | down)")
    for result in results:
        runs = " ".join(f"{v:.0f}" for v in result.upload_mb_s) + " | "
        runs += " ".join(f"{v:.0f}" for v in result.download_mb_s)
        print(f"{result.target:<16}{result.upload_median:>24.1f}{result.download_median:>26.1f}   {runs}")
    if args.json:
        report = {
            "machine": machine.facts(),
            "results": [
                {**asdict(r), "upload_median_mb_s": r.upload_median, "download_median_mb_s": r.download_median}
                for r in results
            ],
        }
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
