"""Registered model routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.http import json_body, request_data
from trackway_backend.handlers.identity import actor
from trackway_backend.logic.registry import models
from trackway_backend.ports import RegistryStore
from trackway_backend.wire import registry_requests as rq
from trackway_backend.wire import registry_responses as view
from trackway_backend.wire.parsing import parse
from trackway_backend.wire.tracking_responses import paged

_PATH = "/api/2.0/mlflow/registered-models"


def register(app: APIGatewayHttpResolver, store: RegistryStore) -> None:
    @app.post(f"{_PATH}/create")
    def create() -> dict[str, Any]:
        request = parse(rq.CreateRegisteredModel, json_body(app))
        tags = {tag.key: tag.value for tag in request.tags}
        model = models.create(store, request.name, tags, request.description, actor(app))
        return {"registered_model": view.registered_model(model)}

    @app.get(f"{_PATH}/get")
    def get() -> dict[str, Any]:
        request = parse(rq.ModelRequest, request_data(app))
        return {"registered_model": view.registered_model(models.get(store, request.name))}

    @app.get(f"{_PATH}/search")
    def search() -> dict[str, Any]:
        request = parse(rq.SearchRegisteredModels, request_data(app, lists=("order_by",)))
        page = models.search(store, request.filter, request.order_by, request.max_results, request.page_token)
        return paged("registered_models", [view.registered_model(model) for model in page.items], page.next_page_token)

    @app.post(f"{_PATH}/rename")
    def rename() -> dict[str, Any]:
        request = parse(rq.RenameRegisteredModel, json_body(app))
        return {"registered_model": view.registered_model(models.rename(store, request.name, request.new_name))}

    @app.patch(f"{_PATH}/update")
    def update() -> dict[str, Any]:
        request = parse(rq.UpdateRegisteredModel, json_body(app))
        return {"registered_model": view.registered_model(models.update(store, request.name, request.description))}

    @app.delete(f"{_PATH}/delete")
    def delete() -> dict[str, Any]:
        request = parse(rq.ModelRequest, json_body(app))
        models.delete(store, request.name, actor(app))
        return {}

    @app.post(f"{_PATH}/get-latest-versions")
    @app.get(f"{_PATH}/get-latest-versions")
    def latest_versions() -> dict[str, Any]:
        request = parse(rq.GetLatestVersions, request_data(app, lists=("stages",)))
        found = models.latest_versions(store, request.name, request.stages)
        return {"model_versions": [view.model_version(version) for version in found]}

    @app.post(f"{_PATH}/set-tag")
    def set_tag() -> dict[str, Any]:
        request = parse(rq.SetRegisteredModelTag, json_body(app))
        models.set_tag(store, request.name, request.key, request.value)
        return {}

    @app.delete(f"{_PATH}/delete-tag")
    def delete_tag() -> dict[str, Any]:
        request = parse(rq.DeleteRegisteredModelTag, json_body(app))
        models.delete_tag(store, request.name, request.key)
        return {}
