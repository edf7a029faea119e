"""A platform team embeds `TrackwayBackend` in its own app, with none of our cdk.json feature flags."""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from trackway_infra import TrackwayBackend, TrackwayProps


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[cdk.Stack, Template]:
    app = cdk.App(outdir=str(tmp_path_factory.mktemp("cdk-embedded")))
    stack = cdk.Stack(app, "PlatformStack")
    TrackwayBackend(stack, "Tracking", TrackwayProps(name_prefix="mlp", event_bus_name="mlp", skip_bundling=True))
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    cdk.Aspects.of(app).add(ServerlessChecks())
    app.synth()
    return stack, Template.from_stack(stack)


def test_embeds_with_default_feature_flags(embedded: tuple[cdk.Stack, Template]) -> None:
    _, template = embedded
    template.resource_count_is("AWS::DynamoDB::Table", 4)
    template.resource_count_is("AWS::Lambda::Function", 8)
    template.has_resource_properties("AWS::Events::EventBus", {"Name": "mlp"})


def test_access_logs_are_delivered_by_bucket_policy(embedded: tuple[cdk.Stack, Template]) -> None:
    _, template = embedded
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:PutObject",
                                "Principal": {"Service": "logging.s3.amazonaws.com"},
                                "Effect": "Allow",
                            }
                        )
                    ]
                )
            }
        },
    )


def test_embedded_backend_has_no_nag_findings(embedded: tuple[cdk.Stack, Template]) -> None:
    stack, _ = embedded
    annotations = Annotations.from_stack(stack)
    found = [*annotations.find_error("*", Match.any_value()), *annotations.find_warning("*", Match.any_value())]
    assert [str(m.entry.data) for m in found if str(m.entry.data).startswith(("AwsSolutions-", "Serverless-"))] == []


def test_the_infra_app_never_needs_the_working_directory() -> None:
    # Asset and rules paths are resolved from the package, so `cdk` may run from any directory.
    from trackway_infra.constants import FUNCTIONS_DIR, RULES_FILE

    assert Path(FUNCTIONS_DIR).is_absolute() and RULES_FILE.is_file()
