"""The UI's artifact calls, answered with trackway's artifact API: listings of a run's or a logged model's
root (`artifacts/list`), and downloads (`get-artifact`, `model-versions/get-artifact`) that follow the
presigned download and stream the bytes back, so the browser never talks to the bucket itself."""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import requests

from trackway.artifacts.paths import ARTIFACTS_API, artifact_root, join
from trackway.errors import ConfigurationError
from trackway.ui.api import Api, ApiError

_MLFLOW = "/api/2.0/mlflow"
_CHUNK = 256 * 1024
# Served as themselves; anything else textual is plain text, so an HTML or SVG artifact never runs as a page.
_INLINE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "application/pdf")


@dataclass
class Download:
    status: int
    content_type: str
    length: int | None
    chunks: Iterator[bytes]


def _bad_path(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def _root(uri: str) -> str:
    try:
        return artifact_root(uri)
    except ConfigurationError as exc:
        raise ApiError(400, "INVALID_PARAMETER_VALUE", str(exc)) from exc


def _under(root: str, path: str) -> str:
    """`root/path`, refusing a path that climbs out of `root` (another run's artifacts)."""
    try:
        full = join(root, path)
    except ValueError as exc:
        raise _bad_path(str(exc)) from exc
    if root and full != root and not full.startswith(root.rstrip("/") + "/"):
        raise _bad_path(f"artifact path {path!r} escapes its root")
    return full


def run_root(api: Api, run_id: str) -> tuple[str, str]:
    """(artifact URI, path below the artifacts API) of a run."""
    info = api.get(f"{_MLFLOW}/runs/get", run_id=run_id)["run"]["info"]
    uri = info.get("artifact_uri") or f"mlflow-artifacts:/{info['experiment_id']}/{info['run_id']}/artifacts"
    return uri, _root(uri)


def logged_model_root(api: Api, model_id: str) -> tuple[str, str]:
    info = api.get(f"{_MLFLOW}/logged-models/{model_id}")["model"]["info"]
    uri = str(info["artifact_uri"])
    return uri, _root(uri)


def model_version_root(api: Api, name: str, version: str) -> str:
    uri = api.get(f"{_MLFLOW}/model-versions/get-download-uri", name=name, version=version)["artifact_uri"]
    return _root(str(uri))


def list_dir(api: Api, root_uri: str, root: str, path: str) -> dict[str, Any]:
    """MLflow's `ListArtifacts` answer: paths relative to the root, directories first as MLflow lists them."""
    relative = path.strip("/")
    listed = api.get(f"{ARTIFACTS_API}/artifacts", path=_under(root, relative)).get("files", [])
    files = []
    for entry in listed:
        item: dict[str, Any] = {
            "path": join(relative, str(entry["path"]).rsplit("/", 1)[-1]),
            "is_dir": bool(entry.get("is_dir")),
        }
        if not item["is_dir"] and entry.get("file_size") is not None:
            item["file_size"] = int(entry["file_size"])
        files.append(item)
    return {"root_uri": root_uri, "files": sorted(files, key=lambda f: f["path"])}


def content_type(path: str) -> str:
    guessed = mimetypes.guess_type(path)[0] or ""
    if guessed in _INLINE_TYPES:
        return guessed
    if (
        guessed.startswith("text/")
        or guessed in ("application/json", "application/x-yaml", "")
        or path.endswith((".yaml", ".yml", ".txt", ".log", ".md", ".py", ".csv", ".tsv", "MLmodel"))
    ):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def download(api: Api, root: str, path: str, session: requests.Session) -> Download:
    """The bytes of `root/path`, fetched from the presigned URL trackway hands out."""
    if not path.strip("/"):
        raise _bad_path("missing artifact path")
    full = _under(root, path)
    presigned = api.get(f"{ARTIFACTS_API}/presigned/{full}")
    resp = session.get(str(presigned["url"]), headers=dict(presigned.get("headers") or {}), stream=True, timeout=60)
    if resp.status_code == 404:
        resp.close()
        raise ApiError(404, "RESOURCE_DOES_NOT_EXIST", f"artifact {path!r} not found")
    if resp.status_code >= 400:
        resp.close()
        raise ApiError(502, "TEMPORARILY_UNAVAILABLE", f"artifact store answered {resp.status_code}")
    length = resp.headers.get("Content-Length")
    return Download(200, content_type(path), int(length) if length else None, resp.iter_content(_CHUNK))
