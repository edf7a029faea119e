"""The serving function: the MLflow scoring protocol for the version deployed behind a model's deploy alias,
plus the deployment history route. Heavy dependencies (mlflow, pandas, the model's flavour) are imported
only when a model is loaded."""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from functools import lru_cache
    from pathlib import Path
    from typing import Any
    from urllib.parse import unquote

    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response

    from trackway_backend.adapters.dynamo.access_store import DynamoGrantStore, GrantItem
    from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
    from trackway_backend.adapters.dynamo.registry_items import RegistryItem
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.adapters.dynamo.tables import bind
    from trackway_backend.deployment_ports import ModelLoader
    from trackway_backend.handlers.authorization import Guard, NoTracking
    from trackway_backend.handlers.http import ApiFunction, build_resolver, query, text_body
    from trackway_backend.logic.deployment.history import list_deployments
    from trackway_backend.logic.serving import scoring
    from trackway_backend.logic.serving.live_models import LiveModels
    from trackway_backend.settings import ServingSettings
    from trackway_backend.wire.parsing import parse
    from trackway_backend.wire.serving_requests import Health, ListDeployments

VERSION_HEADER = "x-trackway-model-version"
DEPLOYMENTS_PATH = "/api/2.0/trackway/deployments"


def _loader(settings: ServingSettings) -> ModelLoader:
    import boto3

    if settings.serving_target == "sagemaker":
        from trackway_backend.adapters.serving.sagemaker_predictor import SageMakerLoader

        return SageMakerLoader(boto3.client("sagemaker-runtime", region_name=settings.region))
    from trackway_backend.adapters.s3.client import s3_client
    from trackway_backend.adapters.serving.model_files import S3ModelFiles
    from trackway_backend.adapters.serving.pyfunc import PyfuncLoader

    files = S3ModelFiles(s3_client(settings.region, settings.s3_endpoint), settings.artifact_bucket)
    return PyfuncLoader(files, Path(settings.model_cache_dir))


@lru_cache(maxsize=4)
def live_models(settings: ServingSettings) -> LiveModels:
    """One per container (per settings): every resolver of the container serves the same loaded models."""
    return LiveModels(DynamoRegistryStore(), DynamoDeploymentStore(), _loader(settings), settings.live_check_seconds)


def build_app(settings: ServingSettings) -> APIGatewayHttpResolver:
    models = live_models(settings)
    registry, deployments = DynamoRegistryStore(), DynamoDeploymentStore()
    app = build_resolver()
    # The deployment function's health probe invokes this function directly (lambda:InvokeFunction, which
    # IAM gates), without an authorizer; every API Gateway route carries one, so callers there are checked.
    Guard(settings, DynamoGrantStore(), NoTracking(), auth_required=False).install(app)

    @app.post("/serving/<model>/invocations")
    def invocations(model: str) -> Response[str]:
        content_type = app.current_event.headers.get("content-type") or "application/json"
        body = text_body(app)
        served, scored = scoring.invoke(models, unquote(model), body, content_type)
        return Response(scored.status, scored.content_type, scored.body, headers={VERSION_HEADER: str(served.version)})

    @app.get("/serving/<model>/health")
    def health(model: str) -> dict[str, Any]:
        request = parse(Health, query(app))
        return scoring.health(models, unquote(model), request.predict, request.expect_version)

    @app.get("/serving/<model>/version")
    def version(model: str) -> dict[str, Any]:
        return scoring.served_version(models.get(unquote(model)))

    @app.get(DEPLOYMENTS_PATH)
    def deployments_route() -> dict[str, Any]:
        request = parse(ListDeployments, query(app))
        return list_deployments(registry, deployments, request.name, request.max_results)

    return app


def configure() -> ServingSettings:
    """Once per container: read settings and bind the registry table (models, versions, deployments)."""
    settings = ServingSettings.from_env()
    bind(RegistryItem, settings.registry_table, settings)
    bind(GrantItem, settings.access_table, settings)
    return settings


function = ApiFunction(configure, build_app)
handler = function.handler
