"""The deployable stack: the backend construct and the outputs a user needs to point clients at it."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Fn, Stack
from constructs import Construct

from trackway_infra.backend import TrackwayBackend
from trackway_infra.config import AuthMode, TrackwayProps
from trackway_infra.constants import (
    BACKEND_ID,
    OUTPUT_ALARM_TOPIC,
    OUTPUT_API_URL,
    OUTPUT_ARTIFACT_BUCKET,
    OUTPUT_EVENT_BUS,
    OUTPUT_TRACKING_AUTH,
    OUTPUT_TRACKING_URI,
)


class TrackwayStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, props: TrackwayProps, **kwargs: Any) -> None:
        super().__init__(
            scope,
            construct_id,
            description="trackway: serverless MLflow-compatible experiment tracking and model registry",
            **kwargs,
        )
        self.backend = backend = TrackwayBackend(self, BACKEND_ID, props)
        CfnOutput(self, OUTPUT_API_URL, value=backend.api_url, description="The trackway API")
        CfnOutput(
            self,
            OUTPUT_ARTIFACT_BUCKET,
            value=backend.data.bucket.bucket_name,
            description="Artifacts (clients reach it through presigned URLs only)",
        )
        CfnOutput(
            self,
            OUTPUT_EVENT_BUS,
            value=backend.events.bus.event_bus_name,
            description="Registry, approval and deployment events",
        )
        CfnOutput(
            self,
            OUTPUT_TRACKING_URI,
            value=Fn.join("", ["MLFLOW_TRACKING_URI=", backend.api_url]),
            description="export this for the mlflow client and the trackway SDK",
        )
        CfnOutput(
            self,
            OUTPUT_TRACKING_AUTH,
            value=_client_auth(props),
            description="export this too: how clients authenticate",
        )
        if backend.observability.topic:
            CfnOutput(
                self,
                OUTPUT_ALARM_TOPIC,
                value=backend.observability.topic.topic_arn,
                description="Alarm notifications",
            )


def _client_auth(props: TrackwayProps) -> str:
    if props.auth_mode is AuthMode.JWT:
        return f"MLFLOW_TRACKING_TOKEN=<a JWT from {props.jwt_issuer} for audience {props.jwt_audience[0]}>"
    return "MLFLOW_TRACKING_AWS_SIGV4=true"
