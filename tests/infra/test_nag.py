"""cdk-nag (AwsSolutions + Serverless): nothing unsuppressed, and every suppression says why."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Annotations, Match

from tests.infra.synth import Synth

PACKS = ("AwsSolutions-", "Serverless-")


def findings(synth: Synth) -> list[str]:
    annotations = Annotations.from_stack(synth.stack)
    messages = [*annotations.find_error("*", Match.any_value()), *annotations.find_warning("*", Match.any_value())]
    return [f"{m.id}: {m.entry.data}" for m in messages if str(m.entry.data).startswith(PACKS)]


def suppressions(synth: Synth) -> list[dict[str, Any]]:
    return [
        rule
        for resource in synth.json["Resources"].values()
        for rule in resource.get("Metadata", {}).get("cdk_nag", {}).get("rules_to_suppress", [])
    ]


def test_no_unsuppressed_findings(each: Synth) -> None:
    assert findings(each) == []


def test_every_suppression_carries_a_reason(each: Synth) -> None:
    found = suppressions(each)
    assert found, "expected the documented suppressions"
    for rule in found:
        assert rule["id"].startswith(PACKS)
        assert len(rule["reason"].split()) >= 8, rule


def test_suppressed_rules_are_the_documented_ones(each: Synth) -> None:
    assert {rule["id"] for rule in suppressions(each)} == {
        "AwsSolutions-IAM5",
        "AwsSolutions-S1",
        "AwsSolutions-SQS3",
        "Serverless-EventBusDLQ",  # the redrive schedule: a tick carries no data (docs/adr/013-event-redrive.md)
        "Serverless-LambdaDLQ",
        "Serverless-SQSRedrivePolicy",
    }
