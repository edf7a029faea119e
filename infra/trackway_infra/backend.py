"""`TrackwayBackend`: the whole backend as one construct, for `cdk deploy` or a platform team's own app."""

from __future__ import annotations

from aws_cdk import Aws
from constructs import Construct

from trackway_infra.access import Access
from trackway_infra.api import Api
from trackway_infra.config import TrackwayProps
from trackway_infra.constants import (
    ACCESS_ID,
    API_ID,
    DATA_ID,
    EVENTS_ID,
    FUNCTIONS_ID,
    OBSERVABILITY_ID,
    SERVING_ID,
    FunctionName,
)
from trackway_infra.data import Data
from trackway_infra.events import EventRouting
from trackway_infra.functions import SAGEMAKER_WAIT_SECONDS, BackendFunctions
from trackway_infra.observability import Observability
from trackway_infra.serving import SageMakerServing

# Behaviour the constructs rely on, whatever the host app's cdk.json says: access logs are delivered by
# bucket policy (the artifact bucket enforces object ownership, so log-delivery ACLs are impossible).
FEATURE_FLAGS = {"@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy": True}


class TrackwayBackend(Construct):
    def __init__(self, scope: Construct, construct_id: str, props: TrackwayProps | None = None) -> None:
        super().__init__(scope, construct_id)
        for flag, value in FEATURE_FLAGS.items():
            self.node.set_context(flag, value)
        self.props = props = props or TrackwayProps()
        self.data = Data(self, DATA_ID, props=props)
        self.sagemaker = SageMakerServing(self, SERVING_ID, props=props, data=self.data) if props.sagemaker else None
        self.functions = BackendFunctions(self, FUNCTIONS_ID, props=props, values=self._settings_values())
        self.events = EventRouting(self, EVENTS_ID, props=props, data=self.data, functions=self.functions)
        Access(
            self,
            ACCESS_ID,
            data=self.data,
            functions=self.functions,
            bus=self.events.bus,
            publisher_dlq=self.events.publisher_dlq,
        )
        if self.sagemaker:
            self.sagemaker.grant(self.functions)
        self.api = Api(self, API_ID, props=props, functions=self.functions)
        self.observability = Observability(
            self,
            OBSERVABILITY_ID,
            props=props,
            api_id=self.api.api.api_id,
            functions={name.value.capitalize(): fn for name, fn in self.functions.functions.items()},
            tables={
                "Tracking": self.data.tracking,
                "Registry": self.data.registry,
                "Outbox": self.data.outbox,
            },
            queues={
                "PublisherDlq": self.events.publisher_dlq,
                **{f"{name.value.capitalize()}Dlq": q for name, q in self.functions.dead_letter_queues.items()},
            },
            stream_consumers={"Publisher": self.functions[FunctionName.PUBLISHER]},
        )

    @property
    def api_url(self) -> str:
        return self.api.url

    def _settings_values(self) -> dict[str, str | None]:
        """What the stack knows, by settings field name; each function takes the fields it declares."""
        props, data = self.props, self.data
        return {
            "region": Aws.REGION,
            "tracking_table": data.tracking.table_name,
            "registry_table": data.registry.table_name,
            "outbox_table": data.outbox.table_name,
            "access_table": data.access.table_name,
            # Never open in AWS: a request without a principal from the authorizer is refused.
            "auth_required": "true",
            "admins": ",".join(props.admins) or None,
            "default_permission": props.default_permission,
            "artifact_bucket": data.bucket.bucket_name,
            # The bus is created with exactly this name; a literal avoids a function -> bus dependency.
            "event_bus": props.event_bus_name,
            "run_index_shards": str(props.run_index_shards),
            "redrive_after_seconds": str(props.redrive_after_minutes * 60),
            "deleted_retention_days": str(props.deleted_retention_days),
            "presigned_url_seconds": str(props.presigned_url_seconds),
            "serving_target": props.serving_target.value,
            # serving_function (the health probe's target) is added by BackendFunctions once serving exists.
            **(self._sagemaker_values() if self.sagemaker else {}),
        }

    def _sagemaker_values(self) -> dict[str, str | None]:
        assert self.sagemaker is not None
        props = self.props
        count = props.sagemaker_instance_count
        return {
            "sagemaker_execution_role_arn": self.sagemaker.role.role_arn,
            "sagemaker_resource_prefix": props.name_prefix,
            "sagemaker_image_uri": props.sagemaker_image_uri,
            "sagemaker_instance_type": props.sagemaker_instance_type,
            "sagemaker_instance_count": None if count is None else str(count),
            # How long a deployment waits for the endpoint: creating one takes minutes, not the 60 s default.
            "health_check_seconds": str(SAGEMAKER_WAIT_SECONDS),
        }
