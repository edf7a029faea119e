from __future__ import annotations

from typing import Any, ClassVar

import pytest

from tests.infra.synth import Synth
from trackway_infra.constants import FunctionName
from trackway_infra.contract import settings_environment, settings_fields
from trackway_infra.functions import SPECS

HANDLERS = {
    FunctionName.TRACKING: "trackway_backend.handlers.tracking.handler",
    FunctionName.REGISTRY: "trackway_backend.handlers.registry.handler",
    FunctionName.ARTIFACTS: "trackway_backend.handlers.artifacts.handler",
    FunctionName.SERVING: "trackway_backend.handlers.serving.handler",
    FunctionName.PUBLISHER: "trackway_backend.handlers.publisher.handler",
    FunctionName.APPROVAL: "trackway_backend.handlers.approval.handler",
    FunctionName.DEPLOYMENT: "trackway_backend.handlers.deployment.handler",
}
ASYNC = {FunctionName.APPROVAL, FunctionName.DEPLOYMENT}


def function(synth: Synth, name: FunctionName) -> dict[str, Any]:
    return synth.by_path(f"Functions/{name.construct_id}")[1]["Properties"]  # type: ignore[no-any-return]


def test_seven_functions_and_one_shared_layer(default: Synth) -> None:
    # The custom-resource provider of the dev stack's auto-deleted buckets is not ours and is not counted.
    assert len(default.resources("AWS::Lambda::Function")) == len(HANDLERS) == len(SPECS)
    default.template.resource_count_is("AWS::Lambda::LayerVersion", 1)


@pytest.mark.parametrize("name", list(FunctionName))
def test_factory_defaults(default: Synth, name: FunctionName) -> None:
    props = function(default, name)
    assert props["Handler"] == HANDLERS[name]
    assert props["Runtime"] == "python3.14"
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": default.logical_id(f"Functions/{name.construct_id}Logs")}
    assert props["Layers"] == [{"Ref": default.logical_id("Functions/DependencyLayer")}]
    assert props["MemorySize"] >= 256 and props["Timeout"] <= 300
    assert props["Role"] == {"Fn::GetAtt": [default.logical_id(f"Functions/{name.construct_id}Role"), "Arn"]}
    env = props["Environment"]["Variables"]
    assert env["POWERTOOLS_SERVICE_NAME"] == f"trackway-{name.value}"
    assert env["TRACKWAY_REGION"] == {"Ref": "AWS::Region"}


@pytest.mark.parametrize("name", list(FunctionName))
def test_log_groups_have_retention(each: Synth, name: FunctionName) -> None:
    props = each.by_path(f"Functions/{name.construct_id}Logs")[1]["Properties"]
    assert props["RetentionInDays"] in (30, 90)


def test_layer_is_arm64_for_the_function_runtime(default: Synth) -> None:
    props = default.by_path("Functions/DependencyLayer")[1]["Properties"]
    assert props["CompatibleArchitectures"] == ["arm64"]
    assert props["CompatibleRuntimes"] == ["python3.14"]


def test_environment_names_the_stacks_resources(default: Synth) -> None:
    def ref(path: str) -> dict[str, str]:
        return {"Ref": default.logical_id(path)}

    tracking = function(default, FunctionName.TRACKING)["Environment"]["Variables"]
    assert tracking["TRACKWAY_TRACKING_TABLE"] == ref("Data/TrackingTable")
    assert tracking["TRACKWAY_OUTBOX_TABLE"] == ref("Data/OutboxTable")
    assert tracking["TRACKWAY_RUN_INDEX_SHARDS"] == "16"
    artifacts = function(default, FunctionName.ARTIFACTS)["Environment"]["Variables"]
    assert artifacts["TRACKWAY_ARTIFACT_BUCKET"] == ref("Data/ArtifactBucket")
    assert artifacts["TRACKWAY_PRESIGNED_URL_SECONDS"] == "900"
    publisher = function(default, FunctionName.PUBLISHER)["Environment"]["Variables"]
    assert publisher["TRACKWAY_EVENT_BUS"] == "trackway"
    registry = function(default, FunctionName.REGISTRY)["Environment"]["Variables"]
    assert registry["TRACKWAY_REGISTRY_TABLE"] == ref("Data/RegistryTable")


@pytest.mark.parametrize("name", list(FunctionName))
def test_every_trackway_variable_is_a_settings_field(each: Synth, name: FunctionName) -> None:
    spec = SPECS[name]
    fields = settings_fields(spec.settings_class, spec.fallback_fields)
    env = function(each, name)["Environment"]["Variables"]
    names = {key.removeprefix("TRACKWAY_").lower() for key in env if key.startswith("TRACKWAY_")}
    assert names <= set(fields)
    assert {field for field, required in fields.items() if required} <= names


def test_sagemaker_target_gives_deployment_its_role_and_prefix(full: Synth) -> None:
    env = function(full, FunctionName.DEPLOYMENT)["Environment"]["Variables"]
    assert env["TRACKWAY_SERVING_TARGET"] == "sagemaker"
    assert env["TRACKWAY_SAGEMAKER_EXECUTION_ROLE_ARN"] == {
        "Fn::GetAtt": [full.logical_id("SageMakerServing/ExecutionRole"), "Arn"]
    }
    assert env["TRACKWAY_SAGEMAKER_RESOURCE_PREFIX"] == "trackway"


@pytest.mark.parametrize("name", list(FunctionName))
def test_only_async_functions_have_a_dead_letter_queue(default: Synth, name: FunctionName) -> None:
    props = function(default, name)
    if name in ASYNC:
        queue = default.logical_id(f"Functions/{name.construct_id}Dlq")
        assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
    else:
        assert "DeadLetterConfig" not in props


def test_settings_environment_uses_the_settings_class_and_rejects_missing_required_values() -> None:
    env = settings_environment("PublisherSettings", (), {"event_bus": "bus", "region": "eu-west-1", "other": "x"})
    assert env == {"TRACKWAY_EVENT_BUS": "bus", "TRACKWAY_REGION": "eu-west-1"}
    assert settings_fields("NoSuchSettings", ("a", "b")) == {"a": False, "b": False}
    assert settings_environment("NoSuchSettings", ("a",), {"a": "1", "b": "2"}) == {"TRACKWAY_A": "1"}


def test_a_required_setting_without_a_value_fails_the_synth(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import BaseModel

    from trackway_infra import contract

    class StrictSettings(BaseModel):
        env_prefix: ClassVar[str] = "TRACKWAY_"
        needed: str

    monkeypatch.setattr(contract, "_settings_class", lambda name: StrictSettings)
    with pytest.raises(ValueError, match="needed is required"):
        settings_environment("StrictSettings", (), {})
