"""Run and metric-history routes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.domain import Dataset, DatasetInput, LifecycleStage, Metric
from trackway_backend.errors import InvalidParameter
from trackway_backend.handlers.http import json_body, raw_body_size, request_data
from trackway_backend.handlers.identity import actor
from trackway_backend.logic import metrics, runs, validation
from trackway_backend.ports import TrackingStore
from trackway_backend.settings import TrackingSettings
from trackway_backend.wire import tracking_requests as rq
from trackway_backend.wire import tracking_responses as view
from trackway_backend.wire.parsing import parse

_RUNS = "/api/2.0/mlflow/runs"
_METRICS = "/api/2.0/mlflow/metrics"


def to_metric(entry: rq.MetricIn) -> Metric:
    return Metric(
        key=entry.key,
        value=validation.metric_value(entry.value, entry.key),
        timestamp=validation.timestamp(entry.timestamp, entry.key),
        step=validation.integer(entry.step if entry.step is not None else 0, f"step of metric '{entry.key}'"),
        model_id=entry.model_id or None,
        dataset_name=entry.dataset_name or None,
        dataset_digest=entry.dataset_digest or None,
    )


def _unique(pairs: list[rq.KeyValue], kind: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        if pair.key in values and kind == "param":
            raise InvalidParameter(
                f"Duplicate parameter keys have been submitted: ['{pair.key}']. Please ensure the request "
                "contains only one param value per param key."
            )
        values[pair.key] = pair.value
    return values


def register(app: APIGatewayHttpResolver, store: TrackingStore, settings: TrackingSettings) -> None:
    @app.post(f"{_RUNS}/create")
    def create() -> dict[str, Any]:
        request = parse(rq.CreateRun, json_body(app))
        run = runs.create(
            store,
            request.experiment_id,
            actor(app) or request.user_id,  # the authenticated principal; the body's claim only when open
            request.run_name,
            request.start_time,
            _unique(request.tags, "tag"),
        )
        return {"run": view.run(run)}

    @app.get(f"{_RUNS}/get")
    def get() -> dict[str, Any]:
        return {"run": view.run(runs.get(store, parse(rq.RunRequest, request_data(app)).id))}

    @app.post(f"{_RUNS}/update")
    def update() -> dict[str, Any]:
        request = parse(rq.UpdateRun, json_body(app))
        run = runs.update(store, request.id, request.status, request.end_time, request.run_name)
        return {"run_info": view.run_info(run)}

    @app.post(f"{_RUNS}/delete")
    def delete() -> dict[str, Any]:
        runs.set_lifecycle(store, parse(rq.RunRequest, json_body(app)).id, LifecycleStage.DELETED)
        return {}

    @app.post(f"{_RUNS}/restore")
    def restore() -> dict[str, Any]:
        runs.set_lifecycle(store, parse(rq.RunRequest, json_body(app)).id, LifecycleStage.ACTIVE)
        return {}

    @app.post(f"{_RUNS}/set-tag")
    def set_tag() -> dict[str, Any]:
        request = parse(rq.SetTag, json_body(app))
        runs.set_tag(store, request.id, request.key, request.value)
        return {}

    @app.post(f"{_RUNS}/delete-tag")
    def delete_tag() -> dict[str, Any]:
        request = parse(rq.DeleteTag, json_body(app))
        runs.delete_tag(store, request.id, request.key)
        return {}

    @app.post(f"{_RUNS}/log-metric")
    def log_metric() -> dict[str, Any]:
        request = parse(rq.LogMetric, json_body(app))
        runs.log_batch(store, request.id, [to_metric(request)], {}, {})
        return {}

    @app.post(f"{_RUNS}/log-parameter")
    def log_parameter() -> dict[str, Any]:
        request = parse(rq.LogParam, json_body(app))
        runs.log_batch(store, request.id, [], {request.key: request.value}, {})
        return {}

    @app.post(f"{_RUNS}/log-batch")
    def log_batch() -> dict[str, Any]:
        if raw_body_size(app) > validation.MAX_BATCH_REQUEST_BYTES:
            raise InvalidParameter(
                f"Batched logging API requests must be at most {validation.MAX_BATCH_REQUEST_BYTES} bytes"
            )
        request = parse(rq.LogBatch, json_body(app))
        validation.batch_limits(len(request.metrics), len(request.params), len(request.tags))
        runs.log_batch(
            store,
            request.id,
            [to_metric(m) for m in request.metrics],
            _unique(request.params, "param"),
            _unique(request.tags, "tag"),
        )
        return {}

    @app.post(f"{_RUNS}/log-inputs")
    def log_inputs() -> dict[str, Any]:
        request = parse(rq.LogInputs, json_body(app))
        datasets = [
            DatasetInput(
                Dataset(
                    d.dataset.name,
                    d.dataset.digest,
                    d.dataset.source_type,
                    d.dataset.source,
                    d.dataset.schema_,
                    d.dataset.profile,
                ),
                {tag.key: tag.value for tag in d.tags},
            )
            for d in request.datasets
        ]
        runs.log_inputs(store, request.id, datasets, [m.model_id for m in request.models])
        return {}

    @app.post(f"{_RUNS}/outputs")
    def log_outputs() -> dict[str, Any]:
        request = parse(rq.LogOutputs, json_body(app))
        runs.log_outputs(store, request.id, [(m.model_id, m.step) for m in request.models])
        return {}

    @app.post(f"{_RUNS}/log-model")
    def log_model() -> dict[str, Any]:
        # Legacy (MLflow 2.x clients, Spark's _log_v2): accepted and ignored, as the wire contract allows.
        runs.get(store, parse(rq.RunRequest, json_body(app)).id)
        return {}

    @app.post(f"{_RUNS}/search")
    def search() -> dict[str, Any]:
        request = parse(rq.SearchRuns, json_body(app))
        page = runs.search(
            store,
            request.experiment_ids,
            request.filter,
            request.run_view_type,
            request.max_results,
            request.order_by,
            request.page_token,
        )
        return view.paged("runs", [view.run(run) for run in page.items], page.next_page_token)

    @app.get(f"{_METRICS}/get-history")
    def get_history() -> dict[str, Any]:
        request = parse(rq.GetMetricHistory, request_data(app))
        page = metrics.history(store, request.id, request.metric_key, request.max_results, request.page_token)
        return view.paged("metrics", [view.metric(m) for m in page.items], page.next_page_token)

    @app.get(f"{_METRICS}/get-history-bulk-interval")
    def get_history_bulk_interval() -> dict[str, Any]:
        request = parse(rq.GetMetricHistoryBulkInterval, request_data(app, lists=("run_ids",)))
        points = metrics.bulk_interval(
            store,
            request.run_ids,
            request.metric_key,
            request.start_step,
            request.end_step,
            request.max_results,
        )
        return {"metrics": [view.metric(m, run_id) for run_id, m in points]}
