"""IAM: no `*` actions anywhere, no wildcards in data-plane actions, and each function's grants exactly."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from tests.infra.synth import Synth
from trackway_infra.constants import FunctionName
from trackway_infra.nag import UNSCOPED_ACTIONS

DATA_SERVICES = ("dynamodb", "s3", "sqs", "events", "sagemaker", "lambda", "ecr")
TABLE_WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
TABLE_READS = {"dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchGetItem"}
TABLES = {
    "tracking": "Data/TrackingTable",
    "registry": "Data/RegistryTable",
    "outbox": "Data/OutboxTable",
    "access": "Data/AccessTable",
}
# What each function may do with each table: r (read only), w (write only), rw, or absent (nothing).
EXPECTED_TABLES = {
    FunctionName.TRACKING: {"tracking": "rw", "outbox": "w", "access": "rw"},
    FunctionName.REGISTRY: {"registry": "rw", "tracking": "r", "outbox": "w", "access": "rw"},
    FunctionName.ARTIFACTS: {"tracking": "r", "access": "r"},
    FunctionName.SERVING: {"registry": "r", "tracking": "r", "access": "r"},
    FunctionName.PUBLISHER: {"outbox": "w"},
    FunctionName.APPROVAL: {"registry": "rw", "tracking": "r", "outbox": "w"},
    FunctionName.DEPLOYMENT: {"registry": "rw", "outbox": "w"},
    FunctionName.REDRIVE: {"outbox": "rw"},
}


def statements(synth: Synth) -> list[dict[str, Any]]:
    found = [
        s
        for policy in synth.resources("AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    for role in synth.resources("AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            found += policy["PolicyDocument"]["Statement"]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def role_grants(synth: Synth, role_path: str) -> dict[str, set[str]]:
    """Resource (a logical id with a suffix, or the rendered ARN) -> actions, for one role's policy."""
    role = synth.logical_id(role_path)
    grants: dict[str, set[str]] = defaultdict(set)
    for policy in synth.resources("AWS::IAM::Policy").values():
        if {"Ref": role} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            for resource in as_list(statement["Resource"]):
                grants[_resource_key(resource)] |= set(as_list(statement["Action"]))
    return grants


def _resource_key(resource: Any) -> str:
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        logical_id, attribute = resource["Fn::GetAtt"]
        return logical_id if attribute == "Arn" else f"{logical_id}.{attribute}"
    if "Fn::Join" in resource and isinstance(resource["Fn::Join"][1][0], dict):
        head, *tail = resource["Fn::Join"][1]
        return _resource_key(head) + "".join(str(part) for part in tail)
    return json.dumps(resource)


def test_no_statement_allows_all_actions_of_a_service(each: Synth) -> None:
    for statement in statements(each):
        for action in as_list(statement["Action"]):
            assert action != "*" and not action.endswith(":*"), statement


def test_data_plane_actions_are_spelled_out(each: Synth) -> None:
    for statement in statements(each):
        for action in as_list(statement["Action"]):
            if action.split(":")[0] in DATA_SERVICES:
                assert "*" not in action, statement


def test_resource_star_only_for_actions_without_resource_level_permissions(each: Synth) -> None:
    sagemaker_role_only = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}
    for statement in statements(each):
        if "*" in as_list(statement["Resource"]):
            assert set(as_list(statement["Action"])) <= set(UNSCOPED_ACTIONS) | sagemaker_role_only, statement


def test_our_roles_carry_no_managed_policies(each: Synth) -> None:
    for logical_id, role in each.resources("AWS::IAM::Role").items():
        if logical_id.startswith("CustomS3AutoDeleteObjects"):
            continue  # CDK's own bucket-emptying provider (dev stacks only)
        assert "ManagedPolicyArns" not in role["Properties"], logical_id


@pytest.mark.parametrize("name", list(FunctionName))
def test_table_access_per_function(each: Synth, name: FunctionName) -> None:
    grants = role_grants(each, f"Functions/{name.construct_id}Role")
    for table, path in TABLES.items():
        actions = grants.get(each.logical_id(path), set())
        expected = EXPECTED_TABLES[name].get(table, "")
        assert bool(actions & TABLE_READS) == ("r" in expected), (table, actions)
        assert bool(actions & TABLE_WRITES) == ("w" in expected), (table, actions)


def test_artifacts_function_reads_and_writes_only_bucket_objects(default: Synth) -> None:
    bucket = default.logical_id("Data/ArtifactBucket")
    grants = role_grants(default, "Functions/ArtifactsFunctionRole")
    assert grants[f"{bucket}/*"] == {
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:AbortMultipartUpload",
        "s3:ListMultipartUploadParts",
    }
    assert grants[bucket] == {"s3:ListBucket", "s3:ListBucketMultipartUploads"}


def test_serving_function_only_reads_the_bucket(default: Synth) -> None:
    bucket = default.logical_id("Data/ArtifactBucket")
    grants = role_grants(default, "Functions/ServingFunctionRole")
    assert grants[f"{bucket}/*"] == {"s3:GetObject"}
    assert grants[bucket] == {"s3:ListBucket"}


@pytest.mark.parametrize("name", [n for n in FunctionName if n not in (FunctionName.ARTIFACTS, FunctionName.SERVING)])
def test_other_functions_have_no_s3_access(default: Synth, name: FunctionName) -> None:
    grants = role_grants(default, f"Functions/{name.construct_id}Role")
    assert not any(action.startswith("s3:") for actions in grants.values() for action in actions)


def test_publisher_reads_the_stream_puts_on_the_bus_and_sends_to_its_dlq(default: Synth) -> None:
    grants = role_grants(default, "Functions/PublisherFunctionRole")
    outbox = default.logical_id("Data/OutboxTable")
    assert grants[f"{outbox}.StreamArn"] == {
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
    }
    assert grants[default.logical_id("Events/Bus")] == {"events:PutEvents"}
    assert "sqs:SendMessage" in grants[default.logical_id("Events/PublisherDlq")]
    events_anywhere = {r for r, actions in grants.items() if "events:PutEvents" in actions}
    assert grants[outbox] == {"dynamodb:UpdateItem"}
    assert events_anywhere == {default.logical_id("Events/Bus")}


def test_the_publisher_only_marks_outbox_items_and_redrive_only_reads_the_pending_index(each: Synth) -> None:
    outbox = each.logical_id("Data/OutboxTable")
    publisher = role_grants(each, "Functions/PublisherFunctionRole")
    redrive = role_grants(each, "Functions/RedriveFunctionRole")
    assert publisher[outbox] == {"dynamodb:UpdateItem"}
    assert redrive[outbox] == {"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}
    assert redrive[f"{outbox}/index/gsi1"] == {"dynamodb:Query"}
    assert redrive[each.logical_id("Events/Bus")] == {"events:PutEvents"}
    dlq = redrive[each.logical_id("Events/PublisherDlq")]
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage"} <= dlq and "sqs:SendMessage" not in dlq
    tables = {each.logical_id(path) for path in TABLES.values()}
    assert {r.split("/")[0].split(".")[0] for r in redrive if r.split("/")[0].split(".")[0] in tables} == {outbox}


@pytest.mark.parametrize("name", [n for n in FunctionName if n not in (FunctionName.PUBLISHER, FunctionName.REDRIVE)])
def test_only_the_publisher_and_redrive_put_events(each: Synth, name: FunctionName) -> None:
    grants = role_grants(each, f"Functions/{name.construct_id}Role")
    assert not any("events:PutEvents" in actions for actions in grants.values())


def test_sagemaker_grants_are_scoped_to_prefixed_resources(full: Synth) -> None:
    deployment = role_grants(full, "Functions/DeploymentFunctionRole")
    sagemaker = {r: a for r, a in deployment.items() if any(x.startswith("sagemaker:") for x in a)}
    assert len(sagemaker) == 3
    assert all(":sagemaker:" in r and r.endswith('/trackway-*"]]}') for r in sagemaker)
    assert deployment[full.logical_id("SageMakerServing/ExecutionRole")] == {"iam:PassRole"}
    serving = role_grants(full, "Functions/ServingFunctionRole")
    assert [a for a in serving.values() if "sagemaker:InvokeEndpoint" in a] == [{"sagemaker:InvokeEndpoint"}]


def test_pass_role_only_to_sagemaker(full: Synth) -> None:
    [statement] = [s for s in statements(full) if "iam:PassRole" in as_list(s["Action"])]
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}


def test_no_sagemaker_access_with_the_serverless_target(default: Synth) -> None:
    for statement in statements(default):
        assert not any(action.startswith(("sagemaker:", "iam:")) for action in as_list(statement["Action"]))


def test_sagemaker_execution_role_is_for_sagemaker_and_reads_only_artifacts(full: Synth) -> None:
    role = full.by_path("SageMakerServing/ExecutionRole")[1]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}
    grants = role_grants(full, "SageMakerServing/ExecutionRole")
    assert grants[f"{full.logical_id('Data/ArtifactBucket')}/*"] == {"s3:GetObject"}
    assert grants[full.logical_id("Data/ArtifactBucket")] == {"s3:ListBucket"}  # the model's S3 prefix
    assert not any(a.startswith(("dynamodb:", "events:", "s3:Put")) for actions in grants.values() for a in actions)


@pytest.mark.parametrize("fixture", ["default", "layer"])
def test_deployment_may_invoke_exactly_the_serving_function(request: pytest.FixtureRequest, fixture: str) -> None:
    synth: Synth = request.getfixturevalue(fixture)
    grants = role_grants(synth, "Functions/DeploymentFunctionRole")
    invoke = {r: a for r, a in grants.items() if any(x.startswith("lambda:") for x in a)}
    # The unqualified function ARN only (GetAtt Arn): no `:*` versions or aliases, no other function.
    assert invoke == {synth.logical_id("Functions/ServingFunction"): {"lambda:InvokeFunction"}}


def test_no_other_role_invokes_a_function(each: Synth) -> None:
    serverless = not each.stack.backend.props.sagemaker
    for name in FunctionName:
        grants = role_grants(each, f"Functions/{name.construct_id}Role")
        invokes = any(a.startswith("lambda:") for actions in grants.values() for a in actions)
        assert invokes == (serverless and name is FunctionName.DEPLOYMENT), name
    lambda_statements = [s for s in statements(each) if any(a.startswith("lambda:") for a in as_list(s["Action"]))]
    assert len(lambda_statements) == int(serverless)


def test_sagemaker_endpoints_pull_only_the_configured_image_repository(full: Synth) -> None:
    grants = role_grants(full, "SageMakerServing/ExecutionRole")
    pulls = {r: a for r, a in grants.items() if "ecr:BatchGetImage" in a}
    [(resource, actions)] = pulls.items()
    assert resource.endswith(':ecr:eu-west-1:444455556666:repository/mlflow-pyfunc"]]}'), resource
    assert actions == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"}
    assert grants["*"] >= {"ecr:GetAuthorizationToken"}
