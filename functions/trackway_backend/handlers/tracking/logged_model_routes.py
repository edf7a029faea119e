"""Logged model routes (MLflow 3)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.handlers.http import json_body, query
from trackway_backend.logic import logged_models
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import TrackingSettings
from trackway_backend.wire import tracking_requests as rq
from trackway_backend.wire import tracking_responses as view
from trackway_backend.wire.parsing import parse

_PATH = "/api/2.0/mlflow/logged-models"


def register(app: APIGatewayHttpResolver, store: TrackingStore, settings: TrackingSettings) -> None:
    @app.post(_PATH)
    def create() -> dict[str, Any]:
        request = parse(rq.CreateLoggedModel, json_body(app))
        model = logged_models.create(
            store,
            request.experiment_id,
            request.name,
            request.model_type,
            request.source_run_id,
            {p.key: p.value for p in request.params},
            {t.key: t.value for t in request.tags},
        )
        return {"model": view.logged_model(model)}

    @app.post(f"{_PATH}/search")
    def search() -> dict[str, Any]:
        request = parse(rq.SearchLoggedModels, json_body(app))
        order = [(o.field_name, o.ascending) for o in request.order_by]
        page = logged_models.search(
            store, request.experiment_ids, request.filter, order, request.max_results, request.page_token
        )
        return view.paged("models", [view.logged_model(m) for m in page.items], page.next_page_token)

    @app.get(f"{_PATH}/<model_id>")
    def get(model_id: str) -> dict[str, Any]:
        request = parse(rq.GetLoggedModel, query(app))
        return {"model": view.logged_model(logged_models.get(store, model_id, request.allow_deleted))}

    @app.patch(f"{_PATH}/<model_id>")
    def finalize(model_id: str) -> dict[str, Any]:
        request = parse(rq.FinalizeLoggedModel, json_body(app))
        return {"model": view.logged_model(logged_models.finalize(store, model_id, request.status))}

    @app.delete(f"{_PATH}/<model_id>")
    def delete(model_id: str) -> dict[str, Any]:
        logged_models.delete(store, model_id)
        return {}

    @app.patch(f"{_PATH}/<model_id>/tags")
    def set_tags(model_id: str) -> dict[str, Any]:
        request = parse(rq.LoggedModelTags, json_body(app))
        logged_models.set_tags(store, model_id, {t.key: t.value for t in request.tags})
        return {}

    @app.delete(f"{_PATH}/<model_id>/tags/<tag_key>")
    def delete_tag(model_id: str, tag_key: str) -> dict[str, Any]:
        logged_models.delete_tag(store, model_id, tag_key)
        return {}

    @app.post(f"{_PATH}/<model_id>/params")
    def log_params(model_id: str) -> dict[str, Any]:
        request = parse(rq.LoggedModelParams, json_body(app))
        logged_models.log_params(store, model_id, {p.key: p.value for p in request.params})
        return {}
