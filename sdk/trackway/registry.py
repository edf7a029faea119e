"""Model registry helpers: register, aliases, look up by alias, download a model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from trackway.entities import ModelVersion
from trackway.errors import RestError
from trackway.http import RestClient

API = "/api/2.0/mlflow"
_ALREADY_EXISTS = ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS")


class RegistryAPI:
    """Mixed into `TrackwayClient`; needs `self.rest` and `download_artifacts`."""

    rest: RestClient

    def download_artifacts(
        self, artifact_uri: str, path: str = "", dst_path: str | Path = ".", *, progress: bool | None = None
    ) -> Path:
        raise NotImplementedError  # provided by ArtifactsAPI

    def _resolve_source(self, source: str) -> tuple[str, str | None]:
        """`runs:/<run_id>/<path>` → (the run's artifact URI + path, run_id); anything else as is."""
        if not source.startswith("runs:/"):
            return source, None
        run_id, _, sub = source[len("runs:/") :].strip("/").partition("/")
        run = self.rest.call("GET", f"{API}/runs/get", {"run_id": run_id})["run"]
        root = str(run["info"]["artifact_uri"]).rstrip("/")
        return (f"{root}/{sub}" if sub else root), run_id

    def register_model(
        self, source: str, name: str, tags: dict[str, str] | None = None, await_seconds: float = 300.0
    ) -> ModelVersion:
        """Create the registered model if needed and a new version of it from `source`.

        `source` may be `runs:/<run_id>/<path>`, `models:/<model_id>` or an artifact URI. Waits up to
        `await_seconds` for a PENDING_REGISTRATION version to become READY, as the mlflow client does.
        """
        try:
            self.rest.call("POST", f"{API}/registered-models/create", {"name": name})
        except RestError as exc:
            if exc.error_code not in _ALREADY_EXISTS:
                raise
        storage, run_id = self._resolve_source(source)
        body: dict[str, Any] = {
            "name": name,
            "source": storage,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        if run_id:
            body["run_id"] = run_id
        if source.startswith("models:/m-"):
            body["model_id"] = source[len("models:/") :].strip("/")
        version = ModelVersion.from_json(self.rest.call("POST", f"{API}/model-versions/create", body)["model_version"])
        deadline = time.monotonic() + await_seconds
        while version.status == "PENDING_REGISTRATION" and time.monotonic() < deadline:
            time.sleep(1.0)
            version = self.get_model_version(name, version.version)
        return version

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        body = self.rest.call("GET", f"{API}/model-versions/get", {"name": name, "version": str(version)})
        return ModelVersion.from_json(body["model_version"])

    def set_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point `name@alias` at `version` (moving it if it pointed elsewhere)."""
        self.rest.call(
            "POST", f"{API}/registered-models/alias", {"name": name, "alias": alias, "version": str(version)}
        )

    def delete_alias(self, name: str, alias: str) -> None:
        """Remove `name@alias`."""
        self.rest.call("DELETE", f"{API}/registered-models/alias", {"name": name, "alias": alias})

    def get_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version `name@alias` points at (RestError INVALID_PARAMETER_VALUE when unset)."""
        body = self.rest.call("GET", f"{API}/registered-models/alias", {"name": name, "alias": alias})
        return ModelVersion.from_json(body["model_version"])

    def get_download_uri(self, name: str, version: str | int) -> str:
        body = self.rest.call("GET", f"{API}/model-versions/get-download-uri", {"name": name, "version": str(version)})
        return str(body["artifact_uri"])

    def download_model(
        self,
        name: str,
        dst_path: str | Path,
        *,
        alias: str | None = None,
        version: str | int | None = None,
        progress: bool | None = None,
    ) -> Path:
        """Download the files of `name@alias` or `name` version `version` into `dst_path`."""
        if (alias is None) == (version is None):
            raise ValueError("pass exactly one of alias= or version=")
        if alias is not None:
            version = self.get_version_by_alias(name, alias).version
        uri = self.get_download_uri(name, str(version))
        return self.download_artifacts(uri, "", dst_path, progress=progress)
