"""One factory builds every Lambda function the same way; a spec table says what differs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from trackway_infra.bundling import dependency_layer_code
from trackway_infra.config import TrackwayProps
from trackway_infra.constants import DEPENDENCY_LAYER_ID, FUNCTIONS_DIR, TARGET_DLQ_SUFFIX, FunctionName
from trackway_infra.contract import settings_environment
from trackway_infra.nag import UNSCOPED_REASON, suppress
from trackway_infra.queues import dead_letter_queue

RUNTIME: Final = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION: Final = "3.14"
CODE_EXCLUDES: Final = ["**/__pycache__", "**/*.pyc", "*.egg-info", "**/.*"]

_T, _R, _O = "tracking_table", "registry_table", "outbox_table"


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    settings_class: str
    fallback_fields: tuple[str, ...]
    memory_mb: int
    timeout_seconds: int
    # Invoked asynchronously (EventBridge): failed invocations land in a dead-letter queue.
    asynchronous: bool = False


_SAGEMAKER = ("serving_target", "sagemaker_execution_role_arn", "sagemaker_resource_prefix")
# Fallback fields are used only until a function's settings class exists in trackway_backend.settings.
SPECS: Final[Mapping[FunctionName, FunctionSpec]] = {
    FunctionName.TRACKING: FunctionSpec(
        description="MLflow tracking API: experiments, runs, metrics, logged models",
        settings_class="TrackingSettings",
        fallback_fields=("region", _T, _O),
        memory_mb=1024,  # search and log_batch are CPU-bound; Lambda CPU scales with memory
        timeout_seconds=28,  # under the HTTP API's 30 s integration limit
    ),
    FunctionName.REGISTRY: FunctionSpec(
        description="MLflow model registry API",
        settings_class="RegistrySettings",
        fallback_fields=("region", _T, _R, _O),
        memory_mb=512,
        timeout_seconds=28,
    ),
    FunctionName.ARTIFACTS: FunctionSpec(
        description="Presigned S3 URLs for artifacts",
        settings_class="ArtifactSettings",
        fallback_fields=("region", _T, "artifact_bucket", "presigned_url_seconds"),
        memory_mb=512,
        timeout_seconds=15,
    ),
    FunctionName.SERVING: FunctionSpec(
        description="MLflow scoring protocol for the model version behind an alias",
        settings_class="ServingSettings",
        fallback_fields=("region", _T, _R, "artifact_bucket", *_SAGEMAKER),
        memory_mb=2048,  # loads and runs models
        timeout_seconds=28,
    ),
    FunctionName.PUBLISHER: FunctionSpec(
        description="Outbox stream to the EventBridge bus",
        settings_class="PublisherSettings",
        fallback_fields=("region", "event_bus"),
        memory_mb=256,
        timeout_seconds=60,
    ),
    FunctionName.APPROVAL: FunctionSpec(
        description="Quality gates on new versions and challengers",
        settings_class="ApprovalSettings",
        fallback_fields=("region", _T, _R, _O),
        memory_mb=512,
        timeout_seconds=120,
        asynchronous=True,
    ),
    FunctionName.DEPLOYMENT: FunctionSpec(
        description="Deploys the deploy alias to the serving target",
        settings_class="DeploymentSettings",
        fallback_fields=("region", _R, _O, *_SAGEMAKER),
        memory_mb=512,
        timeout_seconds=300,
        asynchronous=True,
    ),
}


class BackendFunctions(Construct):
    """Every function, its role (logs only until grants are added), log group and, if async, its DLQ."""

    def __init__(
        self, scope: Construct, construct_id: str, *, props: TrackwayProps, values: Mapping[str, str | None]
    ) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self._removal = props.cdk_removal_policy
        self._code = lambda_.Code.from_asset(str(FUNCTIONS_DIR), exclude=CODE_EXCLUDES)
        self.layer = lambda_.LayerVersion(
            self,
            DEPENDENCY_LAYER_ID,
            code=dependency_layer_code(RUNTIME, PYTHON_VERSION, props.skip_bundling),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="trackway runtime dependencies (pyproject [project].dependencies)",
        )
        self.dead_letter_queues: dict[FunctionName, sqs.Queue] = {}
        self.functions = {name: self._build(name, spec, values) for name, spec in SPECS.items()}

    def __getitem__(self, name: FunctionName) -> lambda_.Function:
        return self.functions[name]

    def _build(self, name: FunctionName, spec: FunctionSpec, values: Mapping[str, str | None]) -> lambda_.Function:
        base = name.construct_id
        log_group = logs.LogGroup(
            self, f"{base}Logs", retention=self._props.log_retention, removal_policy=self._removal
        )
        # An explicit role, not the CDK default: no managed policy, log writes scoped to this log group.
        role = iam.Role(
            self,
            f"{base}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self._props.name_prefix} {name.value} function",
        )
        log_group.grant_write(role)
        dlq = None
        if spec.asynchronous:
            dlq = dead_letter_queue(self, f"{base}{TARGET_DLQ_SUFFIX}", self._removal)
            self.dead_letter_queues[name] = dlq
        function = lambda_.Function(
            self,
            base,
            description=spec.description,
            runtime=RUNTIME,
            architecture=lambda_.Architecture.ARM_64,
            handler=name.handler,
            code=self._code,
            layers=[self.layer],
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_seconds),
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            log_group=log_group,
            role=role,
            dead_letter_queue=dlq,
            environment={
                "POWERTOOLS_SERVICE_NAME": f"{self._props.name_prefix}-{name.value}",
                "POWERTOOLS_METRICS_NAMESPACE": self._props.name_prefix,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **settings_environment(spec.settings_class, spec.fallback_fields, values),
            },
        )
        suppress(role, "AwsSolutions-IAM5", UNSCOPED_REASON, applies_to=["Resource::*"])
        if not spec.asynchronous:
            suppress(function, "Serverless-LambdaDLQ", _SYNC_DLQ_REASONS[name])
        return function


_SYNC_DLQ_REASONS: Final = {
    **dict.fromkeys(
        (FunctionName.TRACKING, FunctionName.REGISTRY, FunctionName.ARTIFACTS, FunctionName.SERVING),
        "Invoked synchronously by API Gateway: errors go back to the client, which retries; a Lambda DLQ "
        "only ever receives asynchronous invocations",
    ),
    FunctionName.PUBLISHER: "Invoked by a DynamoDB stream event source mapping, whose on-failure SQS "
    "destination is the dead-letter queue; a function DLQ only applies to asynchronous invocations",
}
