"""The event bus: the outbox stream into it, rules out of it (from events/rules.json), and an archive."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from trackway_infra.config import TrackwayProps
from trackway_infra.constants import (
    ARCHIVE_ID,
    EVENT_BUS_ID,
    EVENT_SOURCE_PREFIX,
    PUBLISHER_DLQ_ID,
    REDRIVE_SCHEDULE_ID,
    RULES_FILE,
    FunctionName,
)
from trackway_infra.contract import RedriveSettings
from trackway_infra.data import Data
from trackway_infra.functions import BackendFunctions
from trackway_infra.nag import suppress
from trackway_infra.queues import dead_letter_queue

# EventBridge pattern keys -> aws_events.EventPattern fields; anything else in rules.json is an error.
_PATTERN_FIELDS: Final = {
    "source": "source",
    "detail-type": "detail_type",
    "detail": "detail",
    "account": "account",
    "region": "region",
    "resources": "resources",
    "id": "id",
    "time": "time",
    "version": "version",
}
RULE_TARGETS: Final = {"approval": FunctionName.APPROVAL, "deployment": FunctionName.DEPLOYMENT}


def load_rules(path: Path = RULES_FILE) -> dict[str, dict[str, Any]]:
    rules: dict[str, dict[str, Any]] = json.loads(path.read_text())
    for name, rule in rules.items():
        if rule.get("target") not in RULE_TARGETS:
            raise ValueError(f"rule {name}: target must be one of {sorted(RULE_TARGETS)}")
        if unknown := set(rule["pattern"]) - set(_PATTERN_FIELDS):
            raise ValueError(f"rule {name}: unsupported pattern keys {sorted(unknown)}")
    return rules


def event_pattern(pattern: Mapping[str, Any]) -> events.EventPattern:
    return events.EventPattern(**{_PATTERN_FIELDS[key]: value for key, value in pattern.items()})


def rule_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-")) + "Rule"


class EventRouting(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        props: TrackwayProps,
        data: Data,
        functions: BackendFunctions,
    ) -> None:
        super().__init__(scope, construct_id)
        self.bus = events.EventBus(self, EVENT_BUS_ID, event_bus_name=props.event_bus_name)
        self.archive = self.bus.archive(
            ARCHIVE_ID,
            description=f"Every {EVENT_SOURCE_PREFIX}* event, for replay",
            event_pattern=events.EventPattern(source=events.Match.prefix(EVENT_SOURCE_PREFIX)),
            retention=Duration.days(props.archive_retention_days),
        )
        self.publisher_dlq = dead_letter_queue(self, PUBLISHER_DLQ_ID, data.removal_policy)
        self._connect_outbox(props, data, functions[FunctionName.PUBLISHER])
        self.redrive_schedule = self._schedule_redrive(props, functions[FunctionName.REDRIVE])
        self.rules = {name: self._rule(name, rule, props, functions) for name, rule in load_rules().items()}

    def _connect_outbox(self, props: TrackwayProps, data: Data, publisher: lambda_.Function) -> None:
        publisher.add_event_source(
            sources.DynamoEventSource(
                data.outbox,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=100,
                max_batching_window=Duration.seconds(1),
                bisect_batch_on_error=True,
                retry_attempts=props.stream_retry_attempts,
                max_record_age=Duration.days(1),
                report_batch_item_failures=True,
                on_failure=sources.SqsDlq(self.publisher_dlq),
                # Only new outbox records are events; TTL purges (REMOVE) are not.
                filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("INSERT")})],
            )
        )

    def _schedule_redrive(self, props: TrackwayProps, redrive: lambda_.Function) -> events.Rule:
        """Redrive runs on a schedule (default bus) and reads the publisher's dead-letter queue."""
        redrive.add_environment(RedriveSettings.env_prefix + "PUBLISHER_DLQ_URL", self.publisher_dlq.queue_url)
        schedule = events.Rule(
            self,
            REDRIVE_SCHEDULE_ID,
            description="Republish outbox events still pending; clear the dead letters they resolve",
            schedule=events.Schedule.rate(Duration.minutes(props.redrive_interval_minutes)),
            # A missed tick is made up by the next one: no retries, and nothing worth keeping in a DLQ.
            targets=[targets.LambdaFunction(redrive, retry_attempts=0)],
        )
        suppress(
            schedule,
            "Serverless-EventBusDLQ",
            "A schedule tick carries no data: a failed run leaves its work pending and the next tick does it",
        )
        return schedule

    def _rule(
        self, name: str, rule: Mapping[str, Any], props: TrackwayProps, functions: BackendFunctions
    ) -> events.Rule:
        function_name = RULE_TARGETS[rule["target"]]
        return events.Rule(
            self,
            rule_id(name),
            event_bus=self.bus,
            description=rule["description"],
            event_pattern=event_pattern(rule["pattern"]),
            targets=[
                targets.LambdaFunction(
                    functions[function_name],
                    dead_letter_queue=functions.dead_letter_queues[function_name],
                    retry_attempts=props.event_retry_attempts,
                    max_event_age=Duration.hours(props.event_max_age_hours),
                )
            ],
        )
