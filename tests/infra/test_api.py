from __future__ import annotations

import json

from tests.infra.synth import JWT_AUDIENCE, JWT_ISSUER, Synth
from trackway_infra.api import API_FUNCTIONS
from trackway_infra.contract import ROUTES, Function


def routes(synth: Synth) -> dict[str, dict[str, object]]:
    return {r["Properties"]["RouteKey"]: r["Properties"] for r in synth.resources("AWS::ApiGatewayV2::Route").values()}


def integration_targets(synth: Synth) -> dict[str, Function]:
    """Integration logical id -> the route-table Function whose Lambda it invokes."""
    functions = {synth.logical_id(f"Functions/{name.construct_id}"): fn for fn, name in API_FUNCTIONS.items()}
    return {
        logical_id: functions[resource["Properties"]["IntegrationUri"]["Fn::GetAtt"][0]]
        for logical_id, resource in synth.resources("AWS::ApiGatewayV2::Integration").items()
    }


def test_every_route_in_the_route_table_is_in_the_api_and_nothing_else(each: Synth) -> None:
    assert set(routes(each)) == {route.route_key for route in ROUTES}
    assert len(ROUTES) == len(routes(each))


def test_each_route_reaches_the_function_the_route_table_names(default: Synth) -> None:
    targets = integration_targets(default)
    deployed = routes(default)
    for route in ROUTES:
        target = deployed[route.route_key]["Target"]
        integration = target["Fn::Join"][1][1]["Ref"]  # type: ignore[index]
        assert targets[integration] is route.function, route.route_key


def test_one_integration_per_api_function(default: Synth) -> None:
    assert sorted(integration_targets(default).values()) == sorted(Function)
    for resource in default.resources("AWS::ApiGatewayV2::Integration").values():
        assert resource["Properties"]["IntegrationType"] == "AWS_PROXY"
        assert resource["Properties"]["PayloadFormatVersion"] == "2.0"


def test_iam_auth_is_the_default_on_every_route(default: Synth) -> None:
    assert {props["AuthorizationType"] for props in routes(default).values()} == {"AWS_IAM"}
    default.template.resource_count_is("AWS::ApiGatewayV2::Authorizer", 0)


def test_jwt_option_authorizes_every_route_with_the_issuer(full: Synth) -> None:
    [(authorizer_id, authorizer)] = full.resources("AWS::ApiGatewayV2::Authorizer").items()
    assert authorizer["Properties"]["AuthorizerType"] == "JWT"
    assert authorizer["Properties"]["JwtConfiguration"] == {"Audience": list(JWT_AUDIENCE), "Issuer": JWT_ISSUER}
    for props in routes(full).values():
        assert props["AuthorizationType"] == "JWT"
        assert props["AuthorizerId"] == {"Ref": authorizer_id}


def test_default_stage_is_throttled_auto_deployed_and_logs_json(default: Synth) -> None:
    props = default.by_path("Api/DefaultStage")[1]["Properties"]
    assert props["StageName"] == "$default"
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 200, "ThrottlingRateLimit": 100}
    log_settings = props["AccessLogSettings"]
    assert log_settings["DestinationArn"] == {"Fn::GetAtt": [default.logical_id("Api/AccessLogs"), "Arn"]}
    assert json.loads(log_settings["Format"])["requestId"] == "$context.requestId"


def test_throttle_comes_from_context(full: Synth) -> None:
    props = full.by_path("Api/DefaultStage")[1]["Properties"]
    assert props["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50


def test_the_api_may_invoke_only_its_own_functions(default: Synth) -> None:
    api_id = default.logical_id("Api/HttpApi")
    api_functions = {default.logical_id(f"Functions/{name.construct_id}") for name in API_FUNCTIONS.values()}
    permissions = [
        p["Properties"]
        for p in default.resources("AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]
    assert {p["FunctionName"]["Fn::GetAtt"][0] for p in permissions} == api_functions
    for permission in permissions:
        assert {"Ref": api_id} in permission["SourceArn"]["Fn::Join"][1]
