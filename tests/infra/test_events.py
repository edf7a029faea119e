from __future__ import annotations

import pytest

from tests.infra.synth import Synth
from trackway_backend.adapters.dynamo.outbox import PUBLISHED_RETENTION
from trackway_infra.events import RULE_TARGETS, event_pattern, load_rules, rule_id
from trackway_infra.queues import DEAD_LETTER_RETENTION_DAYS

RULES = load_rules()


def test_bus_has_the_configured_name(default: Synth) -> None:
    props = default.by_path("Events/Bus")[1]["Properties"]
    assert props["Name"] == "trackway"


def test_archive_keeps_every_trackway_event_for_replay(default: Synth) -> None:
    props = default.by_path("Events/Bus/Archive/Archive")[1]["Properties"]
    assert props["SourceArn"] == {"Fn::GetAtt": [default.logical_id("Events/Bus"), "Arn"]}
    assert props["EventPattern"] == {"source": [{"prefix": "trackway."}]}
    assert props["RetentionDays"] == 90


def test_one_rule_per_rules_json_entry_and_the_redrive_schedule(each: Synth) -> None:
    each.template.resource_count_is("AWS::Events::Rule", len(RULES) + 1)


def test_redrive_runs_on_a_schedule_and_reads_the_publisher_dead_letters(default: Synth) -> None:
    props = default.by_path("Events/RedriveSchedule")[1]["Properties"]
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert "EventBusName" not in props  # schedules run on the default bus
    [target] = props["Targets"]
    redrive = default.logical_id("Functions/RedriveFunction")
    assert target["Arn"] == {"Fn::GetAtt": [redrive, "Arn"]}
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 0}
    function = default.by_path("Functions/RedriveFunction")[1]["Properties"]
    assert function["ReservedConcurrentExecutions"] == 1  # runs never overlap
    variables = function["Environment"]["Variables"]
    assert variables["TRACKWAY_PUBLISHER_DLQ_URL"] == {"Ref": default.logical_id("Events/PublisherDlq")}
    assert variables["TRACKWAY_REDRIVE_AFTER_SECONDS"] == "900"
    assert variables["TRACKWAY_OUTBOX_TABLE"] == {"Ref": default.logical_id("Data/OutboxTable")}


def test_outbox_items_outlive_every_pointer_the_dead_letter_queue_keeps(each: Synth) -> None:
    """A pointer can wait in the queue 14 days; a published item stays at least as long, and an item never
    published never expires (no TTL until it is marked), so every pointer still finds its events."""
    assert PUBLISHED_RETENTION.total_seconds() >= DEAD_LETTER_RETENTION_DAYS * 86_400
    dlq = each.by_path("Events/PublisherDlq")[1]["Properties"]
    assert dlq["MessageRetentionPeriod"] == DEAD_LETTER_RETENTION_DAYS * 86_400 <= PUBLISHED_RETENTION.total_seconds()
    [mapping] = each.resources("AWS::Lambda::EventSourceMapping").values()
    assert mapping["Properties"]["MaximumRecordAgeInSeconds"] == 86_400


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_is_built_from_rules_json(default: Synth, name: str) -> None:
    rule = RULES[name]
    props = default.by_path(f"Events/{rule_id(name)}")[1]["Properties"]
    assert props["EventBusName"] == {"Ref": default.logical_id("Events/Bus")}
    assert props["EventPattern"] == rule["pattern"]
    assert props["Description"] == rule["description"]
    assert props["State"] == "ENABLED"


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_target_has_retries_and_a_dead_letter_queue(default: Synth, name: str) -> None:
    function = RULE_TARGETS[RULES[name]["target"]]
    [target] = default.by_path(f"Events/{rule_id(name)}")[1]["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [default.logical_id(f"Functions/{function.construct_id}"), "Arn"]}
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 8}
    dlq = default.logical_id(f"Functions/{function.construct_id}Dlq")
    assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}}


@pytest.mark.parametrize("dlq", ["Functions/ApprovalFunctionDlq", "Functions/DeploymentFunctionDlq"])
def test_eventbridge_may_send_to_target_dlqs(default: Synth, dlq: str) -> None:
    queue = default.logical_id(dlq)
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in default.resources("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue} in p["Properties"]["Queues"]
    ]
    principals = [s.get("Principal") for statements in policies for s in statements]
    assert {"Service": "events.amazonaws.com"} in principals


def test_dead_letter_queues_are_encrypted_tls_only_and_keep_messages_14_days(each: Synth) -> None:
    for queue in each.resources("AWS::SQS::Queue").values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_outbox_stream_feeds_the_publisher_durably(default: Synth) -> None:
    [mapping] = default.resources("AWS::Lambda::EventSourceMapping").values()
    props = mapping["Properties"]
    assert props["FunctionName"] == {"Ref": default.logical_id("Functions/PublisherFunction")}
    assert props["EventSourceArn"] == {"Fn::GetAtt": [default.logical_id("Data/OutboxTable"), "StreamArn"]}
    assert props["StartingPosition"] == "TRIM_HORIZON"
    assert props["BisectBatchOnFunctionError"] is True
    assert props["MaximumRetryAttempts"] == 10
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    dlq = default.logical_id("Events/PublisherDlq")
    assert props["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [dlq, "Arn"]}}}
    assert props["FilterCriteria"] == {"Filters": [{"Pattern": '{"eventName":["INSERT"]}'}]}


def test_rules_json_is_validated() -> None:
    with pytest.raises(KeyError):
        event_pattern({"detail_type": ["x"]})
    for rule in RULES.values():
        assert rule["target"] in RULE_TARGETS


@pytest.mark.parametrize("name", sorted(RULES))
def test_only_its_rule_may_invoke_the_target(default: Synth, name: str) -> None:
    function = RULE_TARGETS[RULES[name]["target"]]
    rule = default.logical_id(f"Events/{rule_id(name)}")
    default.template.has_resource_properties(
        "AWS::Lambda::Permission",
        {
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "FunctionName": {"Fn::GetAtt": [default.logical_id(f"Functions/{function.construct_id}"), "Arn"]},
            "SourceArn": {"Fn::GetAtt": [rule, "Arn"]},
        },
    )
