from __future__ import annotations

import pytest
from aws_cdk.assertions import Match

from tests.infra.synth import KMS_KEY_ARN, Synth

TABLES = ("TrackingTable", "RegistryTable", "OutboxTable", "AccessTable")
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
GSI1_KEYS = [{"AttributeName": "gsi1pk", "KeyType": "HASH"}, {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]
GSI1_PROJECTIONS = {"TrackingTable": "KEYS_ONLY", "RegistryTable": "ALL"}


def test_four_tables(each: Synth) -> None:
    each.template.resource_count_is("AWS::DynamoDB::Table", 4)


@pytest.mark.parametrize("table", TABLES)
def test_table_is_on_demand_with_pitr_and_ttl(default: Synth, table: str) -> None:
    _, resource = default.by_path(f"Data/{table}")
    props = resource["Properties"]
    assert props["KeySchema"] == KEY_SCHEMA
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert resource["DeletionPolicy"] == resource["UpdateReplacePolicy"] == "Retain"


@pytest.mark.parametrize("table", ["TrackingTable", "RegistryTable"])
def test_tracking_and_registry_have_gsi1(default: Synth, table: str) -> None:
    props = default.by_path(f"Data/{table}")[1]["Properties"]
    gsi1 = {"IndexName": "gsi1", "KeySchema": GSI1_KEYS, "Projection": {"ProjectionType": GSI1_PROJECTIONS[table]}}
    assert props["GlobalSecondaryIndexes"] == [gsi1]
    assert "StreamSpecification" not in props


def test_local_tables_project_gsi1_as_the_stack_does(default: Synth) -> None:
    """The pynamodb models create the local tables (local/provision.py): they must match the stack."""
    from trackway_backend.adapters.dynamo.outbox import OutboxItem
    from trackway_backend.adapters.dynamo.registry_items import RegistryItem
    from trackway_backend.adapters.dynamo.tracking_items import TrackingItem

    for table, model in (("TrackingTable", TrackingItem), ("RegistryTable", RegistryItem)):
        (gsi1,) = default.by_path(f"Data/{table}")[1]["Properties"]["GlobalSecondaryIndexes"]
        assert model.by_collection.Meta.projection.projection_type == gsi1["Projection"]["ProjectionType"]  # type: ignore[attr-defined]
    (pending,) = default.by_path("Data/OutboxTable")[1]["Properties"]["GlobalSecondaryIndexes"]
    assert OutboxItem.pending.Meta.projection.projection_type == pending["Projection"]["ProjectionType"]  # type: ignore[attr-defined]


def test_outbox_streams_new_images_and_indexes_pending_events(default: Synth) -> None:
    props = default.by_path("Data/OutboxTable")[1]["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["GlobalSecondaryIndexes"] == [
        {"IndexName": "gsi1", "KeySchema": GSI1_KEYS, "Projection": {"ProjectionType": "ALL"}}
    ]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


def test_dev_tables_are_destroyable_and_use_the_kms_key(full: Synth) -> None:
    for table in TABLES:
        resource = full.by_path(f"Data/{table}")[1]
        assert resource["DeletionPolicy"] == "Delete"
        assert resource["Properties"]["DeletionProtectionEnabled"] is False
        assert resource["Properties"]["SSESpecification"] == {
            "KMSMasterKeyId": KMS_KEY_ARN,
            "SSEEnabled": True,
            "SSEType": "KMS",
        }


def test_artifact_bucket_is_private_versioned_encrypted_and_logged(default: Synth) -> None:
    resource = default.by_path("Data/ArtifactBucket")[1]
    props = resource["Properties"]
    assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
        ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
    )
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": default.logical_id("Data/AccessLogBucket")}
    assert resource["DeletionPolicy"] == "Retain"


def test_artifact_bucket_lifecycle(default: Synth) -> None:
    rules = default.by_path("Data/ArtifactBucket")[1]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert rules == [
        {
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            "ExpiredObjectDeleteMarker": True,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
            "Status": "Enabled",
        }
    ]


def test_kms_option_encrypts_the_artifact_bucket_with_a_bucket_key(full: Synth) -> None:
    encryption = full.by_path("Data/ArtifactBucket")[1]["Properties"]["BucketEncryption"]
    assert encryption["ServerSideEncryptionConfiguration"] == [
        {
            "BucketKeyEnabled": True,
            "ServerSideEncryptionByDefault": {"KMSMasterKeyID": KMS_KEY_ARN, "SSEAlgorithm": "aws:kms"},
        }
    ]


@pytest.mark.parametrize("bucket", ["ArtifactBucket", "AccessLogBucket"])
def test_buckets_deny_plain_http(each: Synth, bucket: str) -> None:
    each.template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": each.logical_id(f"Data/{bucket}")},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                "Effect": "Deny",
                            }
                        )
                    ]
                )
            },
        },
    )


def test_dev_buckets_empty_themselves_on_delete(full: Synth) -> None:
    full.template.resource_count_is("Custom::S3AutoDeleteObjects", 2)
    assert full.by_path("Data/ArtifactBucket")[1]["DeletionPolicy"] == "Delete"
