"""Tables and the artifact bucket: on-demand, point-in-time recovery, TTL, TLS-only, retained by default."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from trackway_infra.config import TrackwayProps
from trackway_infra.constants import (
    ACCESS_LOG_BUCKET_ID,
    ACCESS_TABLE_ID,
    ARTIFACT_BUCKET_ID,
    GSI1_NAME,
    GSI1_PARTITION_KEY,
    GSI1_SORT_KEY,
    IMPORTED_KEY_ID,
    OUTBOX_TABLE_ID,
    PARTITION_KEY,
    REGISTRY_TABLE_ID,
    SORT_KEY,
    TRACKING_TABLE_ID,
    TTL_ATTRIBUTE,
)
from trackway_infra.nag import suppress

_S = dynamodb.AttributeType.STRING


class Data(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, props: TrackwayProps) -> None:
        super().__init__(scope, construct_id)
        self._props = props
        self.removal_policy = props.cdk_removal_policy
        self.key = kms.Key.from_key_arn(self, IMPORTED_KEY_ID, props.kms_key_arn) if props.kms_key_arn else None
        # Tracking listings take only keys from gsi1 and read the items consistently (ADR 008); keys only
        # means a summary update, which changes no key, writes no index copy (ADR 010).
        self.tracking = self._table(TRACKING_TABLE_ID, gsi_projection=dynamodb.ProjectionType.KEYS_ONLY)
        self.registry = self._table(REGISTRY_TABLE_ID, gsi_projection=dynamodb.ProjectionType.ALL)
        # The outbox feeds the publisher; NEW_IMAGE is all it needs (records are written once, then only
        # marked published). Its gsi1 is the sparse index of events still pending, which redrive reads whole.
        self.outbox = self._table(
            OUTBOX_TABLE_ID, gsi_projection=dynamodb.ProjectionType.ALL, stream=dynamodb.StreamViewType.NEW_IMAGE
        )
        # Grants (docs/adr/012-access-control.md): read by every API function, written by tracking and registry.
        self.access = self._table(ACCESS_TABLE_ID)
        self.access_logs = self._access_log_bucket()
        self.bucket = self._artifact_bucket()

    def _table(
        self,
        construct_id: str,
        *,
        gsi_projection: dynamodb.ProjectionType | None = None,
        stream: dynamodb.StreamViewType | None = None,
    ) -> dynamodb.Table:
        table = dynamodb.Table(
            self,
            construct_id,
            partition_key=dynamodb.Attribute(name=PARTITION_KEY, type=_S),
            sort_key=dynamodb.Attribute(name=SORT_KEY, type=_S),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=TTL_ATTRIBUTE,
            stream=stream,
            encryption=(
                dynamodb.TableEncryption.CUSTOMER_MANAGED if self.key else dynamodb.TableEncryption.AWS_MANAGED
            ),
            encryption_key=self.key,
            deletion_protection=self._props.retain,
            removal_policy=self.removal_policy,
        )
        if gsi_projection is not None:
            table.add_global_secondary_index(
                index_name=GSI1_NAME,
                partition_key=dynamodb.Attribute(name=GSI1_PARTITION_KEY, type=_S),
                sort_key=dynamodb.Attribute(name=GSI1_SORT_KEY, type=_S),
                projection_type=gsi_projection,
            )
        return table

    def _access_log_bucket(self) -> s3.Bucket:
        bucket = s3.Bucket(
            self,
            ACCESS_LOG_BUCKET_ID,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Server access logging only delivers to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
            removal_policy=self.removal_policy,
            auto_delete_objects=not self._props.retain,
        )
        suppress(bucket, "AwsSolutions-S1", "This is the access-log bucket; logging it to itself would loop")
        return bucket

    def _artifact_bucket(self) -> s3.Bucket:
        return s3.Bucket(
            self,
            ARTIFACT_BUCKET_ID,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            encryption=s3.BucketEncryption.KMS if self.key else s3.BucketEncryption.S3_MANAGED,
            encryption_key=self.key,
            bucket_key_enabled=bool(self.key),
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=True,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix="artifacts/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    abort_incomplete_multipart_upload_after=Duration.days(self._props.abort_multipart_days),
                    noncurrent_version_expiration=Duration.days(self._props.noncurrent_version_days),
                    expired_object_delete_marker=True,
                )
            ],
            removal_policy=self.removal_policy,
            auto_delete_objects=not self._props.retain,
        )
