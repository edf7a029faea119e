"""The SDK's artifact transfers, configured from what the mlflow client would use for the same server.

Auth follows mlflow's own host credentials for the server (`get_default_host_creds`), so the plugin signs
and authenticates exactly like the client it extends, only correctly.
"""

from __future__ import annotations

import threading
from typing import Any

from mlflow.utils.credentials import get_default_host_creds

from trackway.artifacts.api import ArtifactsAPI
from trackway.auth import Auth, BasicAuth, BearerAuth, SigV4Auth
from trackway.config import Settings
from trackway.errors import RestError, TrackwayError, UnreachableError
from trackway.http import RestClient
from trackway.mlflow_plugin.auth import PROVIDER_NAME, plugin_auth
from trackway.retry import RetryPolicy

SERVICE_ROOT = "/api/2.0/mlflow-artifacts/artifacts"
SERVER_INFO = "/api/3.0/mlflow/server-info"


class UnsupportedAuth(TrackwayError):
    """The client is configured with a request-auth plugin other than ours; mlflow's path must carry it."""


def server_base(artifact_uri: str) -> str:
    """`http://host[/prefix]` of a resolved artifact URI (`…/api/2.0/mlflow-artifacts/artifacts/…`)."""
    base, marker, _ = artifact_uri.partition(SERVICE_ROOT)
    if not marker:
        raise ValueError(f"{artifact_uri!r} is not an mlflow-artifacts service URI")
    return base.rstrip("/")


def _auth_for(creds: Any, settings: Settings) -> Auth | None:
    """mlflow's precedence (`utils/rest_utils.http_request`): SigV4, else a request-auth plugin, over basic
    auth, over a bearer token."""
    if creds.aws_sigv4:
        return SigV4Auth(region=settings.aws_region)
    if creds.auth == PROVIDER_NAME:
        return plugin_auth()
    if creds.auth:
        raise UnsupportedAuth(f"request auth provider {creds.auth!r}")
    if creds.username and creds.password:
        return BasicAuth(creds.username, creds.password)
    if creds.token:
        return BearerAuth(creds.token)
    return None


class Transfers(ArtifactsAPI):
    """Presigned multipart uploads (`mpu/create` → part PUTs to S3 → `mpu/complete`) for one server."""

    def __init__(self, base: str):
        creds = get_default_host_creds(base)  # type: ignore[no-untyped-call]
        self.settings = Settings.from_env()
        self.rest = RestClient(
            base,
            auth=_auth_for(creds, self.settings),
            retry=self.settings.retry,
            timeout=self.settings.http_timeout,
            verify=not creds.ignore_tls_verification,
        )


_capabilities: dict[str, bool | None] = {}
_capabilities_lock = threading.Lock()


def presigned_uploads(transfers: Transfers) -> bool | None:
    """Whether the server takes uploads over presigned URLs (server-info's `artifacts_presigned_only` or
    `multipart_uploads_enabled`); None when it does not say (no server-info, unreachable). Asked once per
    server and process."""
    base = transfers.rest.base_uri
    with _capabilities_lock:
        if base in _capabilities:
            return _capabilities[base]
    try:
        info = transfers.rest.call("GET", SERVER_INFO, retry=RetryPolicy(max_attempts=2))
        answer: bool | None = bool(info.get("artifacts_presigned_only") or info.get("multipart_uploads_enabled"))
    except RestError:  # an older server without server-info: it will not say, ask no more
        answer = None
    except UnreachableError:  # ask again next time
        return None
    with _capabilities_lock:
        _capabilities[base] = answer
    return answer
