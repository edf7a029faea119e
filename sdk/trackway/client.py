"""`TrackwayClient`: the explicit (non-fluent) API over one tracking server."""

from __future__ import annotations

from trackway.artifacts.api import ArtifactsAPI
from trackway.auth import Auth, auth_from_settings
from trackway.config import Settings
from trackway.http import RestClient
from trackway.registry import RegistryAPI
from trackway.tracking import TrackingAPI


class TrackwayClient(ArtifactsAPI, RegistryAPI, TrackingAPI):
    """Tracking, registry and artifact calls against one server, like `mlflow.MlflowClient`.

    `TrackwayClient("https://…")` uses the environment for auth; pass `settings` to control everything.
    Every method is synchronous; the fluent `trackway.log_*` functions are the batched, non-blocking path.
    """

    def __init__(self, tracking_uri: str | None = None, *, settings: Settings | None = None, auth: Auth | None = None):
        base = settings or Settings.from_env()
        if tracking_uri:
            base = base.with_overrides(tracking_uri=tracking_uri)
        self.settings = base
        self.rest = RestClient(
            base.require_uri(),
            auth=auth or auth_from_settings(base),
            retry=base.retry,
            timeout=base.http_timeout,
            verify=not base.insecure_tls,
        )

    @property
    def tracking_uri(self) -> str:
        return self.rest.base_uri

    def close(self) -> None:
        self.rest.close()
