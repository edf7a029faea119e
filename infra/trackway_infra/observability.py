"""A dashboard, and alarms on API 5xx, function errors and throttles, table throttles, DLQ depth and the
outbox stream's iterator age (the publisher falling behind: events not yet on the bus)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from trackway_infra.config import TrackwayProps
from trackway_infra.constants import ALARM_TOPIC_ID, ALARM_TOPIC_KEY_ID, DASHBOARD_ID
from trackway_infra.queues import dead_letter_queue

_PERIOD = Duration.minutes(5)
_SUM = cloudwatch.Stats.SUM


class Observability(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: TrackwayProps,
        api_id: str,
        functions: Mapping[str, lambda_.IFunction],
        tables: Mapping[str, dynamodb.ITable],
        queues: Mapping[str, sqs.IQueue],
        stream_consumers: Mapping[str, lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.topic = self._topic(props) if props.alarm_topic or props.alarm_email else None
        self.alarms: list[cloudwatch.Alarm] = []
        api_5xx = cloudwatch.Metric(
            namespace="AWS/ApiGateway",
            metric_name="5xx",
            dimensions_map={"ApiId": api_id},
            statistic=_SUM,
            period=_PERIOD,
        )
        self._alarm("Api5xx", api_5xx, "The API answered 5xx: bad input must never do that")
        for name, function in functions.items():
            self._alarm(
                f"{name}FunctionErrors",
                function.metric_errors(period=_PERIOD, statistic=_SUM),
                f"{name} function errors",
            )
            self._alarm(
                f"{name}FunctionThrottles",
                function.metric_throttles(period=_PERIOD, statistic=_SUM),
                f"{name} function throttled",
            )
        for name, table in tables.items():
            self._alarm(f"{name}TableThrottles", _table_throttles(name, table), f"{name} table throttled requests")
        for name, queue in queues.items():
            depth = queue.metric_approximate_number_of_messages_visible(period=_PERIOD, statistic="Maximum")
            self._alarm(f"{name}Depth", depth, f"{name} holds failed events to inspect and redrive")
        iterator_ages = {name: iterator_age(function) for name, function in stream_consumers.items()}
        for name, age in iterator_ages.items():
            self._alarm(
                f"{name}IteratorAge",
                age,
                f"{name} is over {props.iterator_age_alarm_minutes} min behind its stream: events are waiting "
                "(the stream keeps records 24 h; the redrive function republishes from the outbox)",
                threshold=props.iterator_age_alarm_minutes * 60_000,
            )
        self.dashboard = cloudwatch.Dashboard(
            self,
            DASHBOARD_ID,
            dashboard_name=f"{props.name_prefix}-backend",
            default_interval=Duration.hours(6),
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API 5xx", left=[api_5xx], width=12),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=12),
            cloudwatch.GraphWidget(
                title="Invocations",
                width=8,
                left=[f.metric_invocations(label=n, period=_PERIOD) for n, f in functions.items()],
            ),
            cloudwatch.GraphWidget(
                title="Errors",
                width=8,
                left=[f.metric_errors(label=n, period=_PERIOD) for n, f in functions.items()],
            ),
            cloudwatch.GraphWidget(
                title="Duration p90",
                width=8,
                left=[f.metric_duration(label=n, period=_PERIOD, statistic="p90") for n, f in functions.items()],
            ),
            cloudwatch.GraphWidget(
                title="Table throttles", width=12, left=[_table_throttles(n, t) for n, t in tables.items()]
            ),
            cloudwatch.GraphWidget(
                title="Dead-letter queues",
                width=12,
                left=[q.metric_approximate_number_of_messages_visible(label=n) for n, q in queues.items()],
            ),
            cloudwatch.GraphWidget(title="Stream iterator age (ms)", width=12, left=list(iterator_ages.values())),
        )

    def _alarm(self, construct_id: str, metric: cloudwatch.IMetric, description: str, threshold: float = 1) -> None:
        alarm = cloudwatch.Alarm(
            self,
            f"{construct_id}Alarm",
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        if self.topic:
            alarm.add_alarm_action(actions.SnsAction(self.topic))
            alarm.add_ok_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    def _topic(self, props: TrackwayProps) -> sns.Topic:
        # CloudWatch can only publish to an encrypted topic whose key policy lets it use the key,
        # which rules out the AWS-managed SNS key.
        key = kms.Key(
            self, ALARM_TOPIC_KEY_ID, enable_key_rotation=True, description=f"{props.name_prefix} alarm topic"
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey")
        topic = sns.Topic(
            self, ALARM_TOPIC_ID, master_key=key, enforce_ssl=True, display_name=f"{props.name_prefix} alarms"
        )
        if props.alarm_email:
            # Undeliverable notifications are kept rather than lost.
            dlq = dead_letter_queue(self, f"{ALARM_TOPIC_ID}SubscriptionDlq", RemovalPolicy.DESTROY)
            topic.add_subscription(subscriptions.EmailSubscription(props.alarm_email, dead_letter_queue=dlq))
        return topic


def iterator_age(function: lambda_.IFunction) -> cloudwatch.Metric:
    """The age of the last record a stream-consuming function read: how far behind the stream it is."""
    return function.metric("IteratorAge", period=Duration.minutes(1), statistic="Maximum")


def _table_throttles(name: str, table: dynamodb.ITable) -> cloudwatch.MathExpression:
    def metric(metric_name: str) -> cloudwatch.Metric:
        return table.metric(metric_name, period=_PERIOD, statistic=_SUM)

    # Metric ids must be unique within a graph that plots several tables.
    read, write = f"r{name.lower()}", f"w{name.lower()}"
    return cloudwatch.MathExpression(
        expression=f"FILL({read}, 0) + FILL({write}, 0)",
        using_metrics={read: metric("ReadThrottleEvents"), write: metric("WriteThrottleEvents")},
        label=name,
        period=_PERIOD,
    )
