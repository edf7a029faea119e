"""Artifact upload and download of one large file, through bench/artifacts_throughput.py.

That module (the artifacts engineer's) drives the mlflow client itself, which is the right client here:
the bytes take a different path on each server, and the client picks it.
- mlflow server (`--serve-artifacts`): a streaming PUT and GET through the server.
- trackway: presigned multipart PUTs straight to S3 (s3rver locally) and ranged presigned GETs; the
  server only signs URLs. The route it needs is probed first: "not served" is reported, never faked.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from bench import artifacts_throughput
from bench.context import Context, served
from bench.timing import Measurement, Repetition

# What artifacts_throughput.main() sets for trackway: the mlflow 3.17 client's presigned multipart path.
TRACKWAY_CLIENT_ENV = {
    "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
    "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": str(5 * artifacts_throughput.MIB),
}
_PROBE = "POST /api/2.0/mlflow-artifacts/mpu/create/<path>"


class ArtifactData:
    """Runs the transfers once per target (upload then download, per repetition) and keeps the results."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @cached_property
    def file(self) -> Path:
        path = self.ctx.work / f"artifact-{self.ctx.sizes.artifact_mb}mb.bin"
        if not path.exists():
            artifacts_throughput.write_file(path, self.ctx.sizes.artifact_mb * artifacts_throughput.MB)
        return path

    @cached_property
    def mb_per_second(self) -> tuple[list[float], list[float]]:
        """(uploads, downloads) in MB/s, one per repetition."""
        if self.ctx.target == "trackway":
            rest = self.ctx.client()
            probe = "bench/probe.bin"
            served(
                lambda: rest.call("POST", f"/api/2.0/mlflow-artifacts/mpu/create/0/{probe}", {"path": probe}),
                _PROBE,
                probe=True,
            )
        scratch = self.ctx.work / f"artifacts-{self.ctx.target}"
        scratch.mkdir(parents=True, exist_ok=True)
        env = TRACKWAY_CLIENT_ENV if self.ctx.target == "trackway" else {}
        with artifacts_throughput.environment(env):
            return artifacts_throughput.measure(self.ctx.url, self.file, scratch, self.ctx.sizes.repetitions)

    def measurement(self, rates: list[float]) -> Measurement:
        seconds = [self.ctx.sizes.artifact_mb / rate for rate in rates]
        return Measurement(1, 1, [Repetition([s], s) for s in seconds])


def upload(ctx: Context, data: ArtifactData) -> Measurement:
    return data.measurement(data.mb_per_second[0])


def download(ctx: Context, data: ArtifactData) -> Measurement:
    return data.measurement(data.mb_per_second[1])
