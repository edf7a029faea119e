"""cdk-nag suppressions: each one names its rule, the resources it covers, and why the finding is accepted."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from cdk_nag import NagPackSuppression, NagSuppressions, RegexAppliesTo
from constructs import Construct, IConstruct

# tests/infra/test_iam.py pins the actions that may appear with Resource "*" to exactly these.
UNSCOPED_ACTIONS = ("xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams")
UNSCOPED_REASON = (
    "Resource * only carries actions that support no resource-level permissions: "
    "xray:PutTraceSegments/PutTelemetryRecords (active tracing) and, for the outbox stream consumer, "
    "dynamodb:ListStreams (added by the stream event source; stream reads are scoped to the stream ARN)"
)


def suppress(
    construct: IConstruct | Sequence[IConstruct],
    rule: str,
    reason: str,
    applies_to: Sequence[str | RegexAppliesTo] | None = None,
    children: bool = True,
) -> None:
    NagSuppressions.add_resource_suppressions(
        construct,
        [NagPackSuppression(id=rule, reason=reason, applies_to=applies_to)],
        apply_to_children=children,
    )


def logical_id(construct: Construct) -> str:
    """The CloudFormation logical id of a construct's resource, as cdk-nag names it in `applies_to`."""
    child = construct.node.default_child
    assert child is not None
    return Stack.of(construct).get_logical_id(child)  # type: ignore[arg-type]
