from __future__ import annotations

import pytest

from tests.infra.synth import Synth
from trackway_infra.constants import FunctionName

FUNCTIONS = [name.value.capitalize() for name in FunctionName]
TABLES = ["Tracking", "Registry", "Outbox"]
DLQS = ["PublisherDlq", "ApprovalDlq", "DeploymentDlq"]


def alarm(synth: Synth, name: str) -> dict[str, object]:
    return synth.by_path(f"Observability/{name}Alarm")[1]["Properties"]  # type: ignore[no-any-return]


def test_api_5xx_alarm(default: Synth) -> None:
    props = alarm(default, "Api5xx")
    assert props["MetricName"] == "5xx"
    assert props["Namespace"] == "AWS/ApiGateway"
    assert props["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": default.logical_id("Api/HttpApi")}}]
    assert props["Threshold"] == 1
    assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert props["TreatMissingData"] == "notBreaching"


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("metric", ["Errors", "Throttles"])
def test_function_alarms(default: Synth, function: str, metric: str) -> None:
    props = alarm(default, f"{function}Function{metric}")
    assert props["MetricName"] == metric
    assert props["Namespace"] == "AWS/Lambda"
    target = default.logical_id(f"Functions/{function}Function")
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": target}}]


@pytest.mark.parametrize("table", TABLES)
def test_table_throttle_alarms_sum_reads_and_writes(default: Synth, table: str) -> None:
    metrics = alarm(default, f"{table}TableThrottles")["Metrics"]
    names = {m["MetricStat"]["Metric"]["MetricName"] for m in metrics if "MetricStat" in m}  # type: ignore[attr-defined]
    assert names == {"ReadThrottleEvents", "WriteThrottleEvents"}


@pytest.mark.parametrize("queue", DLQS)
def test_dead_letter_queue_depth_alarms(default: Synth, queue: str) -> None:
    props = alarm(default, f"{queue}Depth")
    assert props["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert props["Threshold"] == 1


def test_publisher_iterator_age_alarm(default: Synth) -> None:
    props = alarm(default, "PublisherIteratorAge")
    assert (props["Namespace"], props["MetricName"], props["Statistic"]) == ("AWS/Lambda", "IteratorAge", "Maximum")
    publisher = default.logical_id("Functions/PublisherFunction")
    assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": publisher}}]
    assert props["Threshold"] == 10 * 60_000
    assert props["Period"] == 60


def test_alarm_count(default: Synth) -> None:
    expected = 1 + 2 * len(FUNCTIONS) + len(TABLES) + len(DLQS) + 1  # the last: the publisher's iterator age
    default.template.resource_count_is("AWS::CloudWatch::Alarm", expected)


def test_dashboard(default: Synth) -> None:
    props = default.by_path("Observability/Dashboard")[1]["Properties"]
    assert props["DashboardName"] == "trackway-backend"


def test_no_topic_unless_asked(default: Synth) -> None:
    default.template.resource_count_is("AWS::SNS::Topic", 0)
    assert "AlarmActions" not in alarm(default, "Api5xx")


def test_alarm_topic_is_encrypted_and_notified(full: Synth) -> None:
    topic_id, topic = full.by_path("Observability/AlarmTopic")
    key_id = full.logical_id("Observability/AlarmTopicKey")
    assert topic["Properties"]["KmsMasterKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert full.by_path("Observability/AlarmTopicKey")[1]["Properties"]["EnableKeyRotation"] is True
    full.template.has_resource_properties(
        "AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ml-platform@example.com"}
    )
    assert alarm(full, "Api5xx")["AlarmActions"] == [{"Ref": topic_id}]
    assert alarm(full, "DeploymentDlqDepth")["OKActions"] == [{"Ref": topic_id}]
    for paging in ("PublisherIteratorAge", "PublisherDlqDepth"):
        assert alarm(full, paging)["AlarmActions"] == [{"Ref": topic_id}]
