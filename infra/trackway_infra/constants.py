"""Construct ids, output names, context keys and repository paths: one place, so logical ids stay stable.

A construct id feeds the CloudFormation logical id of everything under it. Renaming one here replaces
the resources it names (tables included), so treat these strings as part of the deployed contract.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Final

REPO_ROOT: Final = Path(__file__).resolve().parents[2]
FUNCTIONS_DIR: Final = REPO_ROOT / "functions"
EVENTS_DIR: Final = REPO_ROOT / "events"
RULES_FILE: Final = EVENTS_DIR / "rules.json"
PYPROJECT: Final = REPO_ROOT / "pyproject.toml"
SERVING_EXTRA: Final = "serving"  # pyproject's optional dependencies for the serving function's model runtime
SERVING_DOCKERFILE: Final = REPO_ROOT / "infra" / "serving_image" / "Dockerfile"

STACK_ID: Final = "Trackway"
BACKEND_ID: Final = "Backend"

# Top-level constructs inside TrackwayBackend.
DATA_ID: Final = "Data"
FUNCTIONS_ID: Final = "Functions"
ACCESS_ID: Final = "Access"
API_ID: Final = "Api"
EVENTS_ID: Final = "Events"
OBSERVABILITY_ID: Final = "Observability"

# Data.
TRACKING_TABLE_ID: Final = "TrackingTable"
REGISTRY_TABLE_ID: Final = "RegistryTable"
OUTBOX_TABLE_ID: Final = "OutboxTable"
ACCESS_TABLE_ID: Final = "AccessTable"
ARTIFACT_BUCKET_ID: Final = "ArtifactBucket"
IMPORTED_KEY_ID: Final = "ImportedKey"
ACCESS_LOG_BUCKET_ID: Final = "AccessLogBucket"

# Table schema shared by every table (the adapters' pynamodb models use the same names).
PARTITION_KEY: Final = "pk"
SORT_KEY: Final = "sk"
TTL_ATTRIBUTE: Final = "expires_at"
GSI1_NAME: Final = "gsi1"
GSI1_PARTITION_KEY: Final = "gsi1pk"
GSI1_SORT_KEY: Final = "gsi1sk"

# Functions.
DEPENDENCY_LAYER_ID: Final = "DependencyLayer"
SERVING_LAYER_ID: Final = "ServingLayer"
HANDLER_MODULE: Final = "trackway_backend.handlers"
PUBLISHER_DLQ_ID: Final = "PublisherDlq"


class FunctionName(StrEnum):
    """Every Lambda function; the value is its construct id suffix and handler module name."""

    TRACKING = "tracking"
    REGISTRY = "registry"
    ARTIFACTS = "artifacts"
    SERVING = "serving"
    PUBLISHER = "publisher"
    APPROVAL = "approval"
    DEPLOYMENT = "deployment"
    REDRIVE = "redrive"

    @property
    def construct_id(self) -> str:
        return self.value.capitalize() + "Function"

    @property
    def handler(self) -> str:
        return f"{HANDLER_MODULE}.{self.value}.handler"


# API.
HTTP_API_ID: Final = "HttpApi"
STAGE_ID: Final = "DefaultStage"
ACCESS_LOG_GROUP_ID: Final = "AccessLogs"
JWT_AUTHORIZER_ID: Final = "JwtAuthorizer"

# Events.
EVENT_BUS_ID: Final = "Bus"
ARCHIVE_ID: Final = "Archive"
TARGET_DLQ_SUFFIX: Final = "Dlq"
EVENT_SOURCE_PREFIX: Final = "trackway."
REDRIVE_SCHEDULE_ID: Final = "RedriveSchedule"

# Serving (SageMaker target only).
SERVING_ID: Final = "SageMakerServing"
SAGEMAKER_ROLE_ID: Final = "ExecutionRole"

# Observability.
DASHBOARD_ID: Final = "Dashboard"
ALARM_TOPIC_ID: Final = "AlarmTopic"
ALARM_TOPIC_KEY_ID: Final = "AlarmTopicKey"

# Stack outputs.
OUTPUT_API_URL: Final = "ApiUrl"
OUTPUT_ARTIFACT_BUCKET: Final = "ArtifactBucketName"
OUTPUT_EVENT_BUS: Final = "EventBusName"
OUTPUT_TRACKING_URI: Final = "MlflowTrackingUri"
OUTPUT_TRACKING_AUTH: Final = "MlflowTrackingAuth"
OUTPUT_ALARM_TOPIC: Final = "AlarmTopicArn"

# CDK context keys (`cdk deploy -c trackway:authMode=jwt ...` or cdk.json "context").
CONTEXT_PREFIX: Final = "trackway:"
SKIP_BUNDLING_CONTEXT: Final = "trackway:skipBundling"
