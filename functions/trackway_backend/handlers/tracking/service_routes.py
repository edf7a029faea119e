"""Health, version and server-info."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types

from trackway_backend import __version__
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import TrackingSettings


def register(app: APIGatewayHttpResolver, store: TrackingStore, settings: TrackingSettings) -> None:
    @app.get("/health")
    def health() -> Response[str]:
        return Response(200, content_types.TEXT_PLAIN, "OK")

    @app.get("/version")
    def version() -> Response[str]:
        return Response(200, content_types.TEXT_PLAIN, __version__)

    @app.get("/api/3.0/mlflow/server-info")
    def server_info() -> dict[str, Any]:
        return {
            "store_type": "trackway",
            "version": __version__,
            "artifacts_presigned_only": True,
            "multipart_uploads_enabled": True,
            "multipart_downloads_enabled": True,
            "artifact_serving_enabled": True,
            "workspaces_enabled": False,
            "tracking_auth": None,
        }
