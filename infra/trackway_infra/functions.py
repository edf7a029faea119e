"""One factory builds every Lambda function the same way; a spec table says what differs."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from aws_cdk import Duration, Size
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from trackway_infra.bundling import (
    function_code,
    layer_code,
    project_dependencies,
    serving_dependencies,
    serving_image_code,
)
from trackway_infra.config import TrackwayProps
from trackway_infra.constants import (
    DEPENDENCY_LAYER_ID,
    SERVING_LAYER_ID,
    TARGET_DLQ_SUFFIX,
    FunctionName,
)
from trackway_infra.contract import (
    ApprovalSettings,
    ArtifactSettings,
    AwsSettings,
    DeploymentSettings,
    PublisherSettings,
    RedriveSettings,
    RegistrySettings,
    ServingSettings,
    TrackingSettings,
    settings_environment,
)
from trackway_infra.nag import UNSCOPED_REASON, suppress
from trackway_infra.queues import dead_letter_queue

RUNTIME: Final = lambda_.Runtime.PYTHON_3_14
PYTHON_VERSION: Final = "3.14"

# The serving function when it loads models itself (serverless target). API Gateway gives up on a request
# after 30 s, but the function may run on: a cold load that outlasts one request still finishes and warms
# the container, and the deployment's health probe, which invokes the function directly, gets the time for
# the first load. Under 60 s, the probe's boto3 read timeout, so the probe always sees the function's answer.
SERVING_MODEL_TIMEOUT_SECONDS: Final = 50
# The deployment function with the SageMaker target waits for the endpoint (creating one takes minutes);
# its timeout stays under the deployment claim's 15-minute lease, so a live claim is never taken over.
SAGEMAKER_DEPLOYMENT_TIMEOUT_SECONDS: Final = 840
SAGEMAKER_WAIT_SECONDS: Final = 720
# joblib probes POSIX semaphores at import, which Lambda lacks (no /dev/shm), and warns on every cold
# start; scikit-learn's predict runs in threads or serially anyway.
MODEL_RUNTIME_ENVIRONMENT: Final = {"JOBLIB_MULTIPROCESSING": "0"}


@dataclass(frozen=True)
class FunctionSpec:
    description: str
    settings_class: type[AwsSettings]
    memory_mb: int
    timeout_seconds: int
    # Invoked asynchronously (EventBridge): failed invocations land in a dead-letter queue.
    asynchronous: bool = False
    ephemeral_storage_mb: int = 512
    # Reserved concurrency: 1 for a function whose runs must not overlap.
    reserved_concurrency: int | None = None


SPECS: Final[Mapping[FunctionName, FunctionSpec]] = {
    FunctionName.TRACKING: FunctionSpec(
        description="MLflow tracking API: experiments, runs, metrics, logged models",
        settings_class=TrackingSettings,
        memory_mb=1024,  # search and log_batch are CPU-bound; Lambda CPU scales with memory
        timeout_seconds=28,  # under the HTTP API's 30 s integration limit
    ),
    FunctionName.REGISTRY: FunctionSpec(
        description="MLflow model registry API",
        settings_class=RegistrySettings,
        memory_mb=512,
        timeout_seconds=28,
    ),
    FunctionName.ARTIFACTS: FunctionSpec(
        description="Presigned S3 URLs for artifacts",
        settings_class=ArtifactSettings,
        memory_mb=512,
        timeout_seconds=15,
    ),
    FunctionName.SERVING: FunctionSpec(
        description="MLflow scoring protocol for the model version behind an alias",
        settings_class=ServingSettings,
        # With the SageMaker target it only forwards requests to the endpoint; see `serving_spec` otherwise.
        memory_mb=512,
        timeout_seconds=28,
    ),
    FunctionName.PUBLISHER: FunctionSpec(
        description="Outbox stream to the EventBridge bus",
        settings_class=PublisherSettings,
        memory_mb=256,
        timeout_seconds=60,
    ),
    FunctionName.REDRIVE: FunctionSpec(
        description="Republishes outbox events still pending and clears resolved publisher dead letters",
        settings_class=RedriveSettings,
        memory_mb=256,
        timeout_seconds=300,
        # One run at a time: two overlapping sweeps would put the same pending events twice.
        reserved_concurrency=1,
    ),
    FunctionName.APPROVAL: FunctionSpec(
        description="Quality gates on new versions and challengers",
        settings_class=ApprovalSettings,
        memory_mb=512,
        timeout_seconds=120,
        asynchronous=True,
    ),
    FunctionName.DEPLOYMENT: FunctionSpec(
        description="Deploys the deploy alias to the serving target",
        settings_class=DeploymentSettings,
        memory_mb=512,
        timeout_seconds=300,
        asynchronous=True,
    ),
}


def specs_for(props: TrackwayProps) -> dict[FunctionName, FunctionSpec]:
    """The spec table for one configuration: what the serving target changes."""
    specs = dict(SPECS)
    if not props.sagemaker:
        # Memory: a full vCPU (1,769 MB and up) for the single-threaded import and deserialisation, and room
        # for the runtime (~230 MB with an iris forest, measured) plus two versions of a model while a
        # reload swaps them. Storage: /tmp keeps every version the container fetched (512 MB is Lambda's
        # free default; more costs next to nothing).
        specs[FunctionName.SERVING] = dataclasses.replace(
            SPECS[FunctionName.SERVING],
            memory_mb=props.serving_memory_mb,
            timeout_seconds=SERVING_MODEL_TIMEOUT_SECONDS,
            ephemeral_storage_mb=props.serving_ephemeral_storage_mb,
        )
    else:
        specs[FunctionName.DEPLOYMENT] = dataclasses.replace(
            SPECS[FunctionName.DEPLOYMENT], timeout_seconds=SAGEMAKER_DEPLOYMENT_TIMEOUT_SECONDS
        )
    return specs


class BackendFunctions(Construct):
    """Every function, its role (logs only until grants are added), log group and, if async, its DLQ.

    Every function shares one lean dependency layer, except the serving function when it loads models
    (serverless target): it is a container image by default, or a zip with its own, larger layer.
    """

    def __init__(
        self, scope: Construct, construct_id: str, *, props: TrackwayProps, values: Mapping[str, str | None]
    ) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self._removal = props.cdk_removal_policy
        self._code = function_code(RUNTIME, PYTHON_VERSION, props.skip_bundling)
        self.layer = lambda_.LayerVersion(
            self,
            DEPENDENCY_LAYER_ID,
            # Bytecode: every API function's cold start imports from this layer. The serving layer stays
            # source-only, to keep its size clear of Lambda's limit; its container image is precompiled.
            code=layer_code(
                "dependency", project_dependencies(), RUNTIME, PYTHON_VERSION, props.skip_bundling, bytecode=True
            ),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[lambda_.Architecture.ARM_64],
            description="trackway runtime dependencies (pyproject [project].dependencies)",
        )
        self.serving_layer = (
            lambda_.LayerVersion(
                self,
                SERVING_LAYER_ID,
                code=layer_code("serving", serving_dependencies(), RUNTIME, PYTHON_VERSION, props.skip_bundling),
                compatible_runtimes=[RUNTIME],
                compatible_architectures=[lambda_.Architecture.ARM_64],
                description="trackway serving function: runtime dependencies plus the serving extra",
            )
            if props.serving_layer
            else None
        )
        self.dead_letter_queues: dict[FunctionName, sqs.Queue] = {}
        self.functions: dict[FunctionName, lambda_.Function] = {}
        values = dict(values)
        for name, spec in specs_for(props).items():
            self.functions[name] = self._build(name, spec, values)
            if name is FunctionName.SERVING and not props.sagemaker:
                # The deployment's health probe invokes the serving function (built first) by name.
                values["serving_function"] = self.functions[name].function_name
        if not props.sagemaker:
            self._grant_health_probe()

    def __getitem__(self, name: FunctionName) -> lambda_.Function:
        return self.functions[name]

    def _grant_health_probe(self) -> None:
        """Exactly the unqualified serving function: the probe invokes it by name, never a version."""
        self.functions[FunctionName.DEPLOYMENT].add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[self.functions[FunctionName.SERVING].function_arn],
            )
        )

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
        loads_models = name is FunctionName.SERVING and not self._props.sagemaker
        common: dict[str, Any] = {
            "description": spec.description,
            "architecture": lambda_.Architecture.ARM_64,
            "memory_size": spec.memory_mb,
            "ephemeral_storage_size": Size.mebibytes(spec.ephemeral_storage_mb),
            "timeout": Duration.seconds(spec.timeout_seconds),
            "tracing": lambda_.Tracing.ACTIVE,
            "logging_format": lambda_.LoggingFormat.JSON,
            "log_group": log_group,
            "role": role,
            "dead_letter_queue": dlq,
            "reserved_concurrent_executions": spec.reserved_concurrency,
            "environment": {
                "POWERTOOLS_SERVICE_NAME": f"{self._props.name_prefix}-{name.value}",
                "POWERTOOLS_METRICS_NAMESPACE": self._props.name_prefix,
                "POWERTOOLS_LOG_LEVEL": "INFO",
                **(MODEL_RUNTIME_ENVIRONMENT if loads_models else {}),
                **settings_environment(spec.settings_class, values),
            },
        }
        function: lambda_.Function
        if loads_models and self._props.serving_image:
            function = lambda_.DockerImageFunction(
                self, base, code=serving_image_code(name.handler, PYTHON_VERSION), **common
            )
        else:
            layer = self.serving_layer if loads_models and self.serving_layer else self.layer
            function = lambda_.Function(
                self, base, runtime=RUNTIME, handler=name.handler, code=self._code, layers=[layer], **common
            )
        suppress(role, "AwsSolutions-IAM5", UNSCOPED_REASON, applies_to=["Resource::*"])
        if not spec.asynchronous:
            suppress(function, "Serverless-LambdaDLQ", _SYNC_DLQ_REASONS[name])
        return function


_SYNC_DLQ_REASONS: Final = {
    **dict.fromkeys(
        (FunctionName.TRACKING, FunctionName.REGISTRY, FunctionName.ARTIFACTS, FunctionName.SERVING),
        "Invoked synchronously (API Gateway, and the deployment's health probe for serving): errors go back "
        "to the caller, which retries; a Lambda DLQ only ever receives asynchronous invocations",
    ),
    FunctionName.PUBLISHER: "Invoked by a DynamoDB stream event source mapping, whose on-failure SQS "
    "destination is the dead-letter queue; a function DLQ only applies to asynchronous invocations",
    FunctionName.REDRIVE: "Invoked by a schedule: a failed run leaves the outbox items pending and the "
    "dead letters in their queue, and the next run sweeps them again; a DLQ would hold only schedule ticks",
}
