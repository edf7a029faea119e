"""The HTTP API: every route in the backend's route table, authorised (IAM by default), throttled, logged."""

from __future__ import annotations

import json
import re
from typing import Final

import jsii
from aws_cdk import Aws, Fn
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_logs as logs
from constructs import Construct

from trackway_infra.config import AuthMode, TrackwayProps
from trackway_infra.constants import (
    ACCESS_LOG_GROUP_ID,
    HTTP_API_ID,
    JWT_AUTHORIZER_ID,
    STAGE_ID,
    FunctionName,
)
from trackway_infra.contract import ROUTES, Function, Route
from trackway_infra.functions import BackendFunctions

# The route table's Function enum and the infra's FunctionName share values; routes only reach API functions.
API_FUNCTIONS: Final = {function: FunctionName(function.value) for function in Function}

_ACCESS_LOG_FORMAT: Final = json.dumps(
    {
        "requestId": "$context.requestId",
        "ip": "$context.identity.sourceIp",
        "caller": "$context.identity.caller",
        "user": "$context.identity.userArn",
        "requestTime": "$context.requestTime",
        "routeKey": "$context.routeKey",
        "status": "$context.status",
        "protocol": "$context.protocol",
        "responseLength": "$context.responseLength",
        "latency": "$context.responseLatency",
        "integrationLatency": "$context.integration.latency",
        "integrationError": "$context.integrationErrorMessage",
        "authorizerError": "$context.authorizer.error",
    }
)


def route_id(route: Route) -> str:
    """Construct id from the route key: `POST /api/2.0/mlflow/runs/create` -> `POSTApi20MlflowRunsCreateRoute`

    Changing this renames every route's logical id (harmless: routes are stateless).
    """
    words = re.findall(r"[A-Za-z0-9]+", route.route_key.replace("+", " Greedy"))
    return "".join(word[:1].upper() + word[1:] for word in words) + "Route"


class Api(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, props: TrackwayProps, functions: BackendFunctions
    ) -> None:
        super().__init__(scope, construct_id)
        self.api = apigw.HttpApi(
            self,
            HTTP_API_ID,
            api_name=props.name_prefix,
            description="trackway: MLflow-compatible tracking and model registry",
            create_default_stage=False,
        )
        self.authorizer = _authorizer(props)
        self.access_logs = logs.LogGroup(
            self,
            ACCESS_LOG_GROUP_ID,
            retention=props.log_retention,
            removal_policy=props.cdk_removal_policy,
        )
        self.stage = apigw.HttpStage(
            self,
            STAGE_ID,
            http_api=self.api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=props.throttle_rate_limit, burst_limit=props.throttle_burst_limit
            ),
            access_log_settings=_AccessLogs(self.access_logs),
        )
        # One Lambda permission per function for the whole API instead of one per route (~70).
        self.integrations = {
            function: integrations.HttpLambdaIntegration(
                f"{name.construct_id}Integration", functions[name], scope_permission_to_route=False
            )
            for function, name in API_FUNCTIONS.items()
        }
        for route in ROUTES:
            apigw.HttpRoute(
                self,
                route_id(route),
                http_api=self.api,
                route_key=apigw.HttpRouteKey.with_(route.path, apigw.HttpMethod(route.method)),
                integration=self.integrations[route.function],
                authorizer=self.authorizer,
            )

    @property
    def url(self) -> str:
        """The base URL without a trailing slash: the mlflow client appends `/api/2.0/...` itself."""
        return Fn.join("", ["https://", self.api.api_id, ".execute-api.", Aws.REGION, ".", Aws.URL_SUFFIX])


def _authorizer(props: TrackwayProps) -> apigw.IHttpRouteAuthorizer:
    if props.auth_mode is AuthMode.JWT:
        assert props.jwt_issuer is not None
        return authorizers.HttpJwtAuthorizer(JWT_AUTHORIZER_ID, props.jwt_issuer, jwt_audience=list(props.jwt_audience))
    return authorizers.HttpIamAuthorizer()


@jsii.implements(apigw.IAccessLogSettings)
class _AccessLogs:
    """JSON access logs into our own log group (retention set, removal policy from the config)."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._log_group = log_group

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return apigw.LogGroupLogDestination(self._log_group)

    @property
    def format(self) -> apigateway.AccessLogFormat:
        return apigateway.AccessLogFormat.custom(_ACCESS_LOG_FORMAT)
