"""Listing, downloads (302 or presigned JSON), small proxied uploads and deletion."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

from trackway_backend.handlers.artifacts.routing import body_bytes, declared_length, path_route
from trackway_backend.handlers.http import query
from trackway_backend.logic import artifacts
from trackway_backend.object_store import ObjectStore
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import ArtifactSettings
from trackway_backend.wire import artifact_requests as rq
from trackway_backend.wire import artifact_responses as view
from trackway_backend.wire.parsing import parse

_ROOT = "/api/2.0/mlflow-artifacts"


def register(
    app: APIGatewayHttpResolver, store: TrackingStore, objects: ObjectStore, settings: ArtifactSettings
) -> None:
    seconds = settings.presigned_url_seconds

    @app.get(f"{_ROOT}/artifacts")
    def list_artifacts() -> dict[str, Any]:
        request = parse(rq.ListArtifacts, query(app))
        return {"files": [view.file_info(entry) for entry in artifacts.list_dir(objects, request.path)]}

    @path_route(app, "GET", f"{_ROOT}/artifacts/{{path+}}")
    def download(path: str) -> Response[str]:
        # Clients before 3.18 follow the redirect, and `requests` drops their auth header on the way.
        url = artifacts.download(objects, path, seconds).url
        return Response(302, headers={"Location": url, "Cache-Control": "no-store"}, body="")

    @path_route(app, "GET", f"{_ROOT}/presigned/{{path+}}")
    def presigned(path: str) -> dict[str, Any]:
        return view.presigned(artifacts.download(objects, path, seconds))

    @path_route(app, "PUT", f"{_ROOT}/artifacts/{{path+}}")
    def upload(path: str) -> dict[str, Any]:
        declared, content_type = declared_length(app), app.current_event.headers.get("content-type")
        limit = settings.proxied_upload_limit_bytes
        body = body_bytes(app) if declared <= limit else b""  # a body over the limit is refused unread
        artifacts.upload_small(store, objects, path, declared, body, content_type, limit)
        return {}

    @path_route(app, "DELETE", f"{_ROOT}/artifacts/{{path+}}")
    def delete(path: str) -> dict[str, Any]:
        artifacts.delete(store, objects, path)
        return {}
