"""Experiment routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.domain import LifecycleStage
from trackway_backend.handlers.http import json_body, request_data
from trackway_backend.logic import experiments
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import TrackingSettings
from trackway_backend.wire import tracking_requests as rq
from trackway_backend.wire import tracking_responses as view
from trackway_backend.wire.parsing import parse

_PATH = "/api/2.0/mlflow/experiments"


def register(app: APIGatewayHttpResolver, store: TrackingStore, settings: TrackingSettings) -> None:
    @app.post(f"{_PATH}/create")
    def create() -> dict[str, Any]:
        request = parse(rq.CreateExperiment, json_body(app))
        tags = {tag.key: tag.value for tag in request.tags}
        experiment_id = experiments.create(store, request.name, settings.artifact_root, request.artifact_location, tags)
        return {"experiment_id": experiment_id}

    @app.get(f"{_PATH}/get")
    def get() -> dict[str, Any]:
        request = parse(rq.ExperimentRequest, request_data(app))
        return {"experiment": view.experiment(experiments.get(store, request.experiment_id))}

    @app.get(f"{_PATH}/get-by-name")
    def get_by_name() -> dict[str, Any]:
        request = parse(rq.GetExperimentByName, request_data(app))
        return {"experiment": view.experiment(experiments.get_by_name(store, request.experiment_name))}

    @app.post(f"{_PATH}/search")
    @app.get(f"{_PATH}/search")
    def search() -> dict[str, Any]:
        request = parse(rq.SearchExperiments, request_data(app, lists=("order_by",)))
        page = experiments.search(
            store,
            request.view_type,
            request.filter,
            request.order_by,
            request.max_results,
            request.page_token,
        )
        return view.paged("experiments", [view.experiment(e) for e in page.items], page.next_page_token)

    @app.post(f"{_PATH}/update")
    def update() -> dict[str, Any]:
        request = parse(rq.UpdateExperiment, json_body(app))
        experiments.rename(store, request.experiment_id, request.new_name)
        return {}

    @app.post(f"{_PATH}/delete")
    def delete() -> dict[str, Any]:
        request = parse(rq.ExperimentRequest, json_body(app))
        experiments.set_lifecycle(store, request.experiment_id, LifecycleStage.DELETED)
        return {}

    @app.post(f"{_PATH}/restore")
    def restore() -> dict[str, Any]:
        request = parse(rq.ExperimentRequest, json_body(app))
        experiments.set_lifecycle(store, request.experiment_id, LifecycleStage.ACTIVE)
        return {}

    @app.post(f"{_PATH}/set-experiment-tag")
    def set_tag() -> dict[str, Any]:
        request = parse(rq.SetExperimentTag, json_body(app))
        experiments.set_tag(store, request.experiment_id, request.key, request.value)
        return {}

    @app.post(f"{_PATH}/delete-experiment-tag")
    def delete_tag() -> dict[str, Any]:
        request = parse(rq.DeleteExperimentTag, json_body(app))
        experiments.delete_tag(store, request.experiment_id, request.key)
        return {}
