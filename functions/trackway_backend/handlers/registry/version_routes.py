"""Model version routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.http import json_body, request_data
from trackway_backend.handlers.identity import actor
from trackway_backend.logic.registry import stages, versions
from trackway_backend.logic.registry.search import search_versions
from trackway_backend.ports import RegistryStore, TrackingStore
from trackway_backend.wire import registry_requests as rq
from trackway_backend.wire import registry_responses as view
from trackway_backend.wire.parsing import parse
from trackway_backend.wire.tracking_responses import paged

_PATH = "/api/2.0/mlflow/model-versions"


def register(app: APIGatewayHttpResolver, store: RegistryStore, tracking: TrackingStore) -> None:
    @app.post(f"{_PATH}/create")
    def create() -> dict[str, Any]:
        request = parse(rq.CreateModelVersion, json_body(app))
        created = versions.create(
            store,
            tracking,
            request.name,
            request.source,
            request.run_id,
            {tag.key: tag.value for tag in request.tags},
            request.run_link,
            request.description,
            request.model_id,
            actor(app),
        )
        return {"model_version": view.model_version(created)}

    @app.get(f"{_PATH}/get")
    def get() -> dict[str, Any]:
        request = parse(rq.VersionRequest, request_data(app))
        return {"model_version": view.model_version(versions.get(store, request.name, request.version))}

    @app.patch(f"{_PATH}/update")
    def update() -> dict[str, Any]:
        request = parse(rq.UpdateModelVersion, json_body(app))
        updated = versions.update(store, request.name, request.version, request.description)
        return {"model_version": view.model_version(updated)}

    @app.post(f"{_PATH}/transition-stage")
    def transition_stage() -> dict[str, Any]:
        request = parse(rq.TransitionStage, json_body(app))
        moved = stages.transition(
            store, request.name, request.version, request.stage, request.archive_existing_versions, actor(app)
        )
        return {"model_version": view.model_version(moved)}

    @app.delete(f"{_PATH}/delete")
    def delete() -> dict[str, Any]:
        request = parse(rq.VersionRequest, json_body(app))
        versions.delete(store, request.name, request.version, actor(app))
        return {}

    @app.get(f"{_PATH}/search")
    def search() -> dict[str, Any]:
        request = parse(rq.SearchModelVersions, request_data(app, lists=("order_by",)))
        page = search_versions(store, request.filter, request.order_by, request.max_results, request.page_token)
        return paged("model_versions", [view.model_version(version) for version in page.items], page.next_page_token)

    @app.get(f"{_PATH}/get-download-uri")
    def download_uri() -> dict[str, Any]:
        request = parse(rq.VersionRequest, request_data(app))
        return {"artifact_uri": versions.download_uri(store, request.name, request.version)}

    @app.post(f"{_PATH}/set-tag")
    def set_tag() -> dict[str, Any]:
        request = parse(rq.SetModelVersionTag, json_body(app))
        versions.set_tag(store, request.name, request.version, request.key, request.value, actor(app))
        return {}

    @app.delete(f"{_PATH}/delete-tag")
    def delete_tag() -> dict[str, Any]:
        request = parse(rq.DeleteModelVersionTag, json_body(app))
        versions.delete_tag(store, request.name, request.version, request.key, actor(app))
        return {}
