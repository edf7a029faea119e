"""Artifact URIs → paths under the server's `/api/2.0/mlflow-artifacts` root."""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlparse

from trackway.errors import ConfigurationError

ARTIFACTS_API = "/api/2.0/mlflow-artifacts"
_HTTP_MARKER = "/mlflow-artifacts/artifacts/"


def artifact_root(uri: str) -> str:
    """The path of an artifact URI below the root: `mlflow-artifacts:/1/r/artifacts` → `1/r/artifacts`.

    Accepts the proxied forms MLflow uses (`mlflow-artifacts:/…`, `mlflow-artifacts://host/…` and
    `http(s)://…/api/2.0/mlflow-artifacts/artifacts/…`). Direct `s3://` roots need AWS credentials on the
    client, which this SDK deliberately does not use.
    """
    parsed = urlparse(uri)
    if parsed.scheme == "mlflow-artifacts":
        return unquote(parsed.path).strip("/")
    if parsed.scheme in ("http", "https") and _HTTP_MARKER in parsed.path:
        return unquote(parsed.path.split(_HTTP_MARKER, 1)[1]).strip("/")
    raise ConfigurationError(
        f"unsupported artifact URI {uri!r}: trackway transfers artifacts through the server's presigned "
        "API (mlflow-artifacts:/…); configure the server's artifact root accordingly"
    )


def join(*parts: str) -> str:
    """POSIX-join non-empty parts, refusing `..` escapes."""
    joined = posixpath.normpath(posixpath.join(*[p.strip("/") for p in parts if p and p.strip("/")]))
    if joined.startswith("..") or joined.startswith("/"):
        raise ValueError(f"artifact path escapes its root: {joined}")
    return "" if joined == "." else joined


def mpu_path(action: str, directory: str) -> str:
    return f"{ARTIFACTS_API}/mpu/{action}/{directory}"


def presigned_path(path: str) -> str:
    return f"{ARTIFACTS_API}/presigned/{path}"


def proxied_path(path: str) -> str:
    return f"{ARTIFACTS_API}/artifacts/{path}"


def listing_path() -> str:
    return f"{ARTIFACTS_API}/artifacts"
