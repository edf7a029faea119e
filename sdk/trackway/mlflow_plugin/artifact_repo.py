"""Artifact repositories that upload every file over the presigned multipart API, whatever its size.

mlflow's own repositories send a file below `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE` (500 MiB) as one
PUT through the tracking server, which an API behind AWS Lambda refuses above a few MB. These subclasses
replace only the uploads, with the trackway SDK's parallel, resumable uploader; downloads, listing and
deletes stay mlflow's. A server that does not take presigned uploads (by its server-info), or a client
configured with another request-auth plugin, gets mlflow's behaviour unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import closing, contextmanager

from mlflow.exceptions import MlflowException
from mlflow.store.artifact.artifact_repo import verify_artifact_path
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

from trackway.errors import TrackwayError
from trackway.mlflow_plugin.transfers import SERVICE_ROOT, Transfers, UnsupportedAuth, presigned_uploads, server_base


class PresignedUploads:
    """The upload half of a repository; mixed in before an mlflow `HttpArtifactRepository` subclass."""

    artifact_uri: str
    presigned_when_unknown = True
    """What to do when the server's server-info does not answer."""

    def _transfers(self) -> Transfers | None:
        try:
            transfers = Transfers(server_base(self.artifact_uri))
        except (UnsupportedAuth, ValueError):
            return None
        capable = presigned_uploads(transfers)
        if self.presigned_when_unknown if capable is None else capable:
            return transfers
        transfers.rest.close()
        return None

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None:
        verify_artifact_path(artifact_path)  # type: ignore[no-untyped-call]
        with _as_mlflow_errors(local_file):
            transfers = self._transfers()
        if transfers is None:
            super().log_artifact(local_file, artifact_path)  # type: ignore[misc]
            return
        with _as_mlflow_errors(local_file), closing(transfers.rest):
            transfers.log_artifact(self.artifact_uri, local_file, artifact_path)

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None:
        verify_artifact_path(artifact_path)  # type: ignore[no-untyped-call]
        with _as_mlflow_errors(local_dir):
            transfers = self._transfers()
        if transfers is None:
            super().log_artifacts(local_dir, artifact_path)  # type: ignore[misc]
            return
        with _as_mlflow_errors(local_dir), closing(transfers.rest):
            transfers.log_artifacts(self.artifact_uri, os.path.abspath(local_dir), artifact_path)


@contextmanager
def _as_mlflow_errors(what: str) -> Iterator[None]:
    """SDK errors (a refused upload, SigV4 without credentials) → MlflowException, which mlflow's callers
    (log_model, autologging) expect."""
    try:
        yield
    except TrackwayError as exc:
        raise MlflowException(f"Presigned upload of {what} failed: {exc}") from exc


class TrackwayArtifactsRepository(PresignedUploads, MlflowArtifactsRepository):
    """`mlflow-artifacts:` URIs (the artifact roots trackway hands out)."""


class TrackwayHttpArtifactRepository(PresignedUploads, HttpArtifactRepository):
    """`http(s)://…/api/2.0/mlflow-artifacts/artifacts/…` URIs; presigned only when the server says so."""

    presigned_when_unknown = False

    def _transfers(self) -> Transfers | None:
        if SERVICE_ROOT not in self.artifact_uri:
            return None  # a plain HTTP file server, not an mlflow artifacts service
        return super()._transfers()
