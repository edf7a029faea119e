"""Multipart create, complete and abort: presigned part URLs, S3 multipart state, no bytes here."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.artifacts.routing import path_route
from trackway_backend.handlers.http import json_body
from trackway_backend.logic import artifacts
from trackway_backend.object_store import ObjectStore
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import ArtifactSettings
from trackway_backend.wire import artifact_requests as rq
from trackway_backend.wire import artifact_responses as view
from trackway_backend.wire.parsing import parse

_MPU = "/api/2.0/mlflow-artifacts/mpu"


def register(
    app: APIGatewayHttpResolver, store: TrackingStore, objects: ObjectStore, settings: ArtifactSettings
) -> None:
    seconds = settings.presigned_url_seconds

    @path_route(app, "POST", f"{_MPU}/create/{{path+}}")
    def create(directory: str) -> dict[str, Any]:
        request = parse(rq.CreateUpload, json_body(app))
        upload = artifacts.create_upload(
            store, objects, directory, request.path, request.num_parts, request.file_size, seconds
        )
        return view.upload(upload)

    @path_route(app, "POST", f"{_MPU}/complete/{{path+}}")
    def complete(directory: str) -> dict[str, Any]:
        request = parse(rq.CompleteUpload, json_body(app))
        parts = [part.to_part() for part in request.parts]
        artifacts.complete_upload(store, objects, directory, request.path, request.upload_id, parts)
        return {}

    @path_route(app, "POST", f"{_MPU}/abort/{{path+}}")
    def abort(directory: str) -> dict[str, Any]:
        request = parse(rq.AbortUpload, json_body(app))
        artifacts.abort_upload(objects, directory, request.path, request.upload_id)
        return {}
