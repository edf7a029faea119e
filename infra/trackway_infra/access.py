"""Least-privilege grants: each function gets exactly the data-plane access its handlers use.

Table grants come from CDK (explicit actions, scoped to the table and its indexes). S3 actions are listed
here rather than taken from `grant_read_write`, whose `s3:GetObject*`/`s3:List*` wildcards would reach
object ACLs, retention settings and legal holds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from trackway_infra.constants import GSI1_NAME, FunctionName
from trackway_infra.data import Data
from trackway_infra.functions import BackendFunctions
from trackway_infra.nag import logical_id, suppress


class TableAccess(StrEnum):
    READ = "read"
    WRITE = "write"
    READ_WRITE = "read_write"


_T, _R, _O, _G = "tracking", "registry", "outbox", "access"
TABLE_ACCESS: Final[dict[FunctionName, dict[str, TableAccess]]] = {
    FunctionName.TRACKING: {_T: TableAccess.READ_WRITE, _O: TableAccess.WRITE, _G: TableAccess.READ_WRITE},
    FunctionName.REGISTRY: {
        _R: TableAccess.READ_WRITE,
        _T: TableAccess.READ,
        _O: TableAccess.WRITE,
        _G: TableAccess.READ_WRITE,
    },
    FunctionName.ARTIFACTS: {_T: TableAccess.READ, _G: TableAccess.READ},
    FunctionName.SERVING: {_R: TableAccess.READ, _T: TableAccess.READ, _G: TableAccess.READ},
    FunctionName.APPROVAL: {_R: TableAccess.READ_WRITE, _T: TableAccess.READ, _O: TableAccess.WRITE},
    FunctionName.DEPLOYMENT: {_R: TableAccess.READ_WRITE, _O: TableAccess.WRITE},
}
ARTIFACT_OBJECT_ACTIONS: Final = (
    "s3:GetObject",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
)
ARTIFACT_BUCKET_ACTIONS: Final = ("s3:ListBucket", "s3:ListBucketMultipartUploads")
# The outbox ledger (docs/adr/013-event-redrive.md): the publisher marks accepted events published; redrive
# reads the pending index, confirms on the table, republishes and marks. Nothing else, no wildcards.
PUBLISHER_OUTBOX_ACTIONS: Final = ("dynamodb:UpdateItem",)
REDRIVE_OUTBOX_ACTIONS: Final = ("dynamodb:BatchGetItem", "dynamodb:UpdateItem")
REDRIVE_INDEX_ACTIONS: Final = ("dynamodb:Query",)
# What a function needs of a customer-managed table key to read and update items.
TABLE_KEY_ACTIONS: Final = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")


class Access(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        data: Data,
        functions: BackendFunctions,
        bus: events.IEventBus,
        publisher_dlq: sqs.IQueue,
    ) -> None:
        super().__init__(scope, construct_id)
        self._data = data
        tables = {_T: data.tracking, _R: data.registry, _O: data.outbox, _G: data.access}
        for name, grants in TABLE_ACCESS.items():
            for table_name, access in grants.items():
                _grant_table(tables[table_name], functions[name], access)
            self._suppress_table_wildcards(functions[name], [tables[t] for t in grants])
        self._grant_artifacts(functions[FunctionName.ARTIFACTS], write=True)
        self._grant_artifacts(functions[FunctionName.SERVING], write=False)
        bus.grant_put_events_to(functions[FunctionName.PUBLISHER])
        self._grant_outbox_ledger(functions[FunctionName.PUBLISHER], PUBLISHER_OUTBOX_ACTIONS, ())
        redrive = functions[FunctionName.REDRIVE]
        self._grant_outbox_ledger(redrive, REDRIVE_OUTBOX_ACTIONS, REDRIVE_INDEX_ACTIONS)
        bus.grant_put_events_to(redrive)
        publisher_dlq.grant_consume_messages(redrive)

    def _grant_outbox_ledger(
        self, function: lambda_.Function, table_actions: tuple[str, ...], index_actions: tuple[str, ...]
    ) -> None:
        outbox = self._data.outbox
        function.add_to_role_policy(iam.PolicyStatement(actions=list(table_actions), resources=[outbox.table_arn]))
        if index_actions:
            function.add_to_role_policy(
                iam.PolicyStatement(actions=list(index_actions), resources=[f"{outbox.table_arn}/index/{GSI1_NAME}"])
            )
        if self._data.key:
            self._data.key.grant(function, *TABLE_KEY_ACTIONS)

    def _suppress_table_wildcards(self, function: lambda_.Function, tables: list[dynamodb.Table]) -> None:
        applies_to = [f"Resource::<{logical_id(table)}.Arn>/index/*" for table in tables]
        reason = "CDK table grants cover the table's own indexes (gsi1) and nothing else"
        if self._data.key:
            applies_to += ["Action::kms:ReEncrypt*", "Action::kms:GenerateDataKey*"]
            reason += "; the KMS actions are CDK's table-key grants, scoped to the one customer-managed key"
        suppress(_role(function), "AwsSolutions-IAM5", reason, applies_to=applies_to)

    def _grant_artifacts(self, function: lambda_.Function, *, write: bool) -> None:
        bucket = self._data.bucket
        object_actions = ARTIFACT_OBJECT_ACTIONS if write else ("s3:GetObject",)
        bucket_actions = ARTIFACT_BUCKET_ACTIONS if write else ("s3:ListBucket",)
        function.add_to_role_policy(
            iam.PolicyStatement(actions=list(object_actions), resources=[bucket.arn_for_objects("*")])
        )
        function.add_to_role_policy(iam.PolicyStatement(actions=list(bucket_actions), resources=[bucket.bucket_arn]))
        if self._data.key:
            # Presigned PUTs and GETs of SSE-KMS objects are authorised against the signer's key access.
            key_actions = ("kms:Decrypt", "kms:GenerateDataKey") if write else ("kms:Decrypt",)
            self._data.key.grant(function, *key_actions)
        suppress(
            _role(function),
            "AwsSolutions-IAM5",
            "Object actions are scoped to the artifact bucket's objects: keys are created per run and model",
            applies_to=[f"Resource::<{logical_id(bucket)}.Arn>/*"],
        )


def _grant_table(table: dynamodb.Table, function: lambda_.Function, access: TableAccess) -> None:
    if access is TableAccess.READ:
        table.grant_read_data(function)
    elif access is TableAccess.WRITE:
        table.grant_write_data(function)
    else:
        table.grant_read_write_data(function)


def _role(function: lambda_.Function) -> iam.IRole:
    assert function.role is not None  # the factory always gives a role
    return function.role
