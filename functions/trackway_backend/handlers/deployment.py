"""The deployment function: when a model's deploy alias moves, deploy that version to the serving target.

Invoked asynchronously by EventBridge on `model_version_alias.created`; aliases other than the model's
deploy alias are ignored. An error fails the invocation: Lambda retries it, then sends it to the DLQ.
"""

from __future__ import annotations

from trackway_backend.handlers.startup import collector_paused

with collector_paused():
    from functools import lru_cache
    from typing import Any

    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
    from trackway_backend.adapters.dynamo.outbox import OutboxItem
    from trackway_backend.adapters.dynamo.registry_items import RegistryItem
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.adapters.dynamo.tables import bind
    from trackway_backend.deployment_ports import DeploymentStore, ServingProbe, ServingTarget
    from trackway_backend.logic.deployment.deploy import DEFAULT_LEASE_MS, AliasMoved, deploy
    from trackway_backend.ports import RegistryStore
    from trackway_backend.settings import DeploymentSettings
    from trackway_backend.wire.event_models import AliasCreatedEvent, parse_registry_event

logger = Logger(service="trackway-deployment")
_MARGIN_SECONDS = 10


def configure() -> DeploymentSettings:
    """Once per container: read settings and bind the registry and outbox tables."""
    settings = DeploymentSettings.from_env()
    bind(RegistryItem, settings.registry_table, settings)
    bind(OutboxItem, settings.outbox_table, settings)
    return settings


def build_target(settings: DeploymentSettings) -> ServingTarget:
    import boto3

    if settings.serving_target == "sagemaker":
        from trackway_backend.adapters.serving.sagemaker_target import SageMakerConfig, SageMakerTarget

        config = SageMakerConfig(
            role_arn=settings.sagemaker_execution_role_arn,
            resource_prefix=settings.sagemaker_resource_prefix,
            image_uri=settings.sagemaker_image_uri,
            artifact_bucket=settings.artifact_bucket,
            instance_type=settings.sagemaker_instance_type,
            instance_count=settings.sagemaker_instance_count,
            wait_seconds=settings.health_check_seconds,
        )
        return SageMakerTarget(boto3.client("sagemaker", region_name=settings.region), config)
    from trackway_backend.adapters.serving.probes import InProcessProbe, LambdaProbe
    from trackway_backend.adapters.serving.serverless_target import ServerlessTarget

    probe: ServingProbe = InProcessProbe()
    if settings.serving_function:
        probe = LambdaProbe(boto3.client("lambda", region_name=settings.region), settings.serving_function)
    return ServerlessTarget(probe, settings.health_check_seconds)


@lru_cache(maxsize=1)
def _dependencies() -> tuple[RegistryStore, DeploymentStore, ServingTarget, int]:
    settings = configure()
    return DynamoRegistryStore(), DynamoDeploymentStore(), build_target(settings), run_ms(settings)


def run_ms(settings: DeploymentSettings) -> int:
    """What one deployment needs once its turn comes: the health check's budget, plus the probe's own
    timeout (the last probe may start just before that budget ends), plus the writes around it."""
    return int((2 * settings.health_check_seconds + _MARGIN_SECONDS) * 1000)


def handle(
    event: dict[str, Any],
    registry: RegistryStore,
    store: DeploymentStore,
    target: ServingTarget,
    remaining_ms: int = DEFAULT_LEASE_MS,
    needed_ms: int | None = None,
) -> dict[str, Any]:
    """`remaining_ms`: how long this invocation may still run (Lambda's context says)."""
    parsed = parse_registry_event(event)
    if not isinstance(parsed, AliasCreatedEvent):
        return {"status": None, "note": f"{parsed.detail_type} does not move an alias"}
    data, detail = parsed.detail.data, parsed.detail
    moved = AliasMoved(data.name, data.alias, int(data.version), data.revision, detail.event_id, detail.timestamp)
    outcome = deploy(registry, store, target, moved, lease_ms=remaining_ms, run_ms=needed_ms)
    status = outcome.deployment.status.value if outcome.deployment else None
    reason = outcome.deployment.reason if outcome.deployment else outcome.note
    logger.info("deployment", extra={"model": data.name, "version": data.version, "status": status, "note": reason})
    return {"status": status, "note": reason or ""}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    registry, store, target, needed_ms = _dependencies()
    remaining_ms = context.get_remaining_time_in_millis()
    # Waiting never takes more than half the invocation: a turn that comes late still has time to deploy,
    # and one cut short by the timeout is taken over by Lambda's retry (its claim and lease end with it).
    return handle(event, registry, store, target, remaining_ms, min(needed_ms, remaining_ms // 2))
