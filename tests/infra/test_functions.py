from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from tests.infra.synth import SAGEMAKER_IMAGE, Synth
from trackway_backend.settings import TrackingSettings
from trackway_infra.config import ServingPackaging, ServingTarget, TrackwayProps
from trackway_infra.constants import FunctionName
from trackway_infra.contract import AwsSettings, DeploymentSettings, settings_environment, settings_fields
from trackway_infra.functions import (
    SAGEMAKER_DEPLOYMENT_TIMEOUT_SECONDS,
    SAGEMAKER_WAIT_SECONDS,
    SERVING_MODEL_TIMEOUT_SECONDS,
    SPECS,
    specs_for,
)

HANDLERS = {
    FunctionName.TRACKING: "trackway_backend.handlers.tracking.handler",
    FunctionName.REGISTRY: "trackway_backend.handlers.registry.handler",
    FunctionName.ARTIFACTS: "trackway_backend.handlers.artifacts.handler",
    FunctionName.SERVING: "trackway_backend.handlers.serving.handler",
    FunctionName.PUBLISHER: "trackway_backend.handlers.publisher.handler",
    FunctionName.APPROVAL: "trackway_backend.handlers.approval.handler",
    FunctionName.DEPLOYMENT: "trackway_backend.handlers.deployment.handler",
    FunctionName.REDRIVE: "trackway_backend.handlers.redrive.handler",
}
ASYNC = {FunctionName.APPROVAL, FunctionName.DEPLOYMENT}
ZIP_FUNCTIONS = [name for name in FunctionName if name is not FunctionName.SERVING]


def function(synth: Synth, name: FunctionName) -> dict[str, Any]:
    return synth.by_path(f"Functions/{name.construct_id}")[1]["Properties"]  # type: ignore[no-any-return]


def env(synth: Synth, name: FunctionName) -> dict[str, Any]:
    return function(synth, name)["Environment"]["Variables"]  # type: ignore[no-any-return]


def ref(synth: Synth, path: str) -> dict[str, str]:
    return {"Ref": synth.logical_id(path)}


def test_eight_functions_and_one_shared_layer(default: Synth) -> None:
    # The custom-resource provider of the dev stack's auto-deleted buckets is not ours and is not counted.
    assert len(default.resources("AWS::Lambda::Function")) == len(HANDLERS) == len(SPECS)
    default.template.resource_count_is("AWS::Lambda::LayerVersion", 1)


@pytest.mark.parametrize("name", list(FunctionName))
def test_factory_defaults(each: Synth, name: FunctionName) -> None:
    props = function(each, name)
    assert props["Architectures"] == ["arm64"]
    assert props["TracingConfig"] == {"Mode": "Active"}
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert props["LoggingConfig"]["LogGroup"] == {"Ref": each.logical_id(f"Functions/{name.construct_id}Logs")}
    assert props["MemorySize"] >= 256 and props["Timeout"] <= 900
    assert props["Role"] == {"Fn::GetAtt": [each.logical_id(f"Functions/{name.construct_id}Role"), "Arn"]}
    variables = props["Environment"]["Variables"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"trackway-{name.value}"
    assert variables["TRACKWAY_REGION"] == {"Ref": "AWS::Region"}


@pytest.mark.parametrize("name", ZIP_FUNCTIONS)
def test_zip_functions_share_the_lean_layer(each: Synth, name: FunctionName) -> None:
    props = function(each, name)
    assert props["Handler"] == HANDLERS[name]
    assert props["Runtime"] == "python3.14"
    assert props["Layers"] == [ref(each, "Functions/DependencyLayer")]


@pytest.mark.parametrize("name", list(FunctionName))
def test_log_groups_have_retention(each: Synth, name: FunctionName) -> None:
    props = each.by_path(f"Functions/{name.construct_id}Logs")[1]["Properties"]
    assert props["RetentionInDays"] in (30, 90)


def test_layer_is_arm64_for_the_function_runtime(each: Synth) -> None:
    for layer in each.resources("AWS::Lambda::LayerVersion").values():
        assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
        assert layer["Properties"]["CompatibleRuntimes"] == ["python3.14"]


def test_environment_names_the_stacks_resources(default: Synth) -> None:
    tracking = env(default, FunctionName.TRACKING)
    assert tracking["TRACKWAY_TRACKING_TABLE"] == ref(default, "Data/TrackingTable")
    assert tracking["TRACKWAY_OUTBOX_TABLE"] == ref(default, "Data/OutboxTable")
    assert tracking["TRACKWAY_RUN_INDEX_SHARDS"] == str(TrackingSettings().run_index_shards)
    artifacts = env(default, FunctionName.ARTIFACTS)
    assert artifacts["TRACKWAY_ARTIFACT_BUCKET"] == ref(default, "Data/ArtifactBucket")
    assert artifacts["TRACKWAY_PRESIGNED_URL_SECONDS"] == "900"
    assert env(default, FunctionName.PUBLISHER)["TRACKWAY_EVENT_BUS"] == "trackway"
    assert env(default, FunctionName.REGISTRY)["TRACKWAY_REGISTRY_TABLE"] == ref(default, "Data/RegistryTable")
    approval = env(default, FunctionName.APPROVAL)
    assert approval["TRACKWAY_REGISTRY_TABLE"] == ref(default, "Data/RegistryTable")
    assert approval["TRACKWAY_TRACKING_TABLE"] == ref(default, "Data/TrackingTable")
    assert approval["TRACKWAY_OUTBOX_TABLE"] == ref(default, "Data/OutboxTable")
    for api_function in (FunctionName.TRACKING, FunctionName.REGISTRY, FunctionName.ARTIFACTS):
        variables = env(default, api_function)
        assert variables["TRACKWAY_ACCESS_TABLE"] == ref(default, "Data/AccessTable")
        assert variables["TRACKWAY_AUTH_REQUIRED"] == "true"  # never open in AWS
        assert variables["TRACKWAY_DEFAULT_PERMISSION"] == "NO_PERMISSIONS"
    serving = env(default, FunctionName.SERVING)
    assert serving["TRACKWAY_ACCESS_TABLE"] == ref(default, "Data/AccessTable")
    assert serving["TRACKWAY_REGISTRY_TABLE"] == ref(default, "Data/RegistryTable")
    assert serving["TRACKWAY_ARTIFACT_BUCKET"] == ref(default, "Data/ArtifactBucket")
    assert serving["TRACKWAY_SERVING_TARGET"] == "serverless"


@pytest.mark.parametrize("name", list(FunctionName))
def test_every_trackway_variable_is_a_field_of_the_functions_settings_class(each: Synth, name: FunctionName) -> None:
    fields = settings_fields(SPECS[name].settings_class)
    variables = env(each, name)
    names = {key.removeprefix("TRACKWAY_").lower() for key in variables if key.startswith("TRACKWAY_")}
    assert names and names <= set(fields), names - set(fields)
    assert {field for field, required in fields.items() if required} <= names


@pytest.mark.parametrize("name", list(FunctionName))
def test_the_settings_class_is_the_one_the_handler_reads(name: FunctionName) -> None:
    import importlib

    module = importlib.import_module(HANDLERS[name].rsplit(".", 1)[0])
    assert f"{SPECS[name].settings_class.__name__}.from_env()" in inspect.getsource(module)


@pytest.mark.parametrize("fixture", ["default", "layer"])
def test_deployment_probes_the_serving_function_by_name(request: pytest.FixtureRequest, fixture: str) -> None:
    synth: Synth = request.getfixturevalue(fixture)
    variables = env(synth, FunctionName.DEPLOYMENT)
    # The exact settings field the deployment reads (DeploymentSettings.serving_function -> LambdaProbe).
    assert "serving_function" in DeploymentSettings.model_fields
    assert variables["TRACKWAY_SERVING_FUNCTION"] == ref(synth, "Functions/ServingFunction")
    assert variables["TRACKWAY_SERVING_TARGET"] == "serverless"
    assert not any(key.startswith("TRACKWAY_SAGEMAKER_") for key in variables)


def test_serving_is_an_arm64_container_image_by_default(default: Synth) -> None:
    props = function(default, FunctionName.SERVING)
    assert props["PackageType"] == "Image"
    assert props["ImageConfig"] == {"Command": [HANDLERS[FunctionName.SERVING]]}
    assert props["Architectures"] == ["arm64"]
    assert "Layers" not in props and "Runtime" not in props and "Handler" not in props
    default.template.resource_count_is("AWS::Lambda::LayerVersion", 1)  # no serving layer with the image


def test_serving_has_the_memory_storage_and_time_to_load_models(each: Synth) -> None:
    props = function(each, FunctionName.SERVING)
    if each.stack.backend.props.sagemaker:
        # It only forwards requests to the endpoint: the lean zip function, nothing to load.
        assert props["MemorySize"] == 512 and props["Timeout"] == 28
        assert props["Layers"] == [ref(each, "Functions/DependencyLayer")]
        assert "JOBLIB_MULTIPROCESSING" not in env(each, FunctionName.SERVING)
        return
    assert props["MemorySize"] == 2048  # a full vCPU (1,769 MB) for import and deserialisation, room for models
    assert props["EphemeralStorage"] == {"Size": 2048}  # /tmp keeps the fetched model versions
    assert props["Timeout"] == SERVING_MODEL_TIMEOUT_SECONDS == 50
    assert env(each, FunctionName.SERVING)["JOBLIB_MULTIPROCESSING"] == "0"


def test_the_image_is_built_for_arm64_from_the_dockerfile_with_the_serving_requirements(default: Synth) -> None:
    [image] = default.assets["dockerImages"].values()
    source = image["source"]
    assert source["platform"] == "linux/arm64"
    assert source["dockerFile"] == "infra/serving_image/Dockerfile"
    args = source["dockerBuildArgs"]
    requirements = json.loads(args["REQUIREMENTS"])
    assert any(r.startswith("mlflow-skinny==") for r in requirements)
    assert {"pandas", "scikit-learn", "skops", "pynamodb", "boto3"} <= {_name(r) for r in requirements}
    assert args["PYTHON_VERSION"] == "3.14"
    assert "manylinux_2_28_aarch64" in args["PIP_PLATFORMS"].split()
    # The build context is the backend package and the Dockerfile, not the repository.
    context = default.outdir / source["directory"]
    assert sorted(p.name for p in context.iterdir()) == ["functions", "infra"]
    assert [p.name for p in (context / "functions").iterdir()] == ["trackway_backend"]
    assert [p.relative_to(context).as_posix() for p in (context / "infra").rglob("*") if p.is_file()] == [
        "infra/serving_image/Dockerfile"
    ]
    assert not list(context.rglob("__pycache__"))


def test_layer_packaging_gives_serving_its_own_layer_and_keeps_the_others_lean(layer: Synth) -> None:
    layer.template.resource_count_is("AWS::Lambda::LayerVersion", 2)
    props = function(layer, FunctionName.SERVING)
    assert props["Layers"] == [ref(layer, "Functions/ServingLayer")]
    assert props["Handler"] == HANDLERS[FunctionName.SERVING] and props["Runtime"] == "python3.14"
    assert layer.assets.get("dockerImages", {}) == {}
    for name in ZIP_FUNCTIONS:
        assert function(layer, name)["Layers"] == [ref(layer, "Functions/DependencyLayer")]


def test_sagemaker_target_gives_deployment_its_role_prefix_image_and_time(full: Synth) -> None:
    variables = env(full, FunctionName.DEPLOYMENT)
    assert variables["TRACKWAY_SERVING_TARGET"] == "sagemaker"
    assert variables["TRACKWAY_SAGEMAKER_EXECUTION_ROLE_ARN"] == {
        "Fn::GetAtt": [full.logical_id("SageMakerServing/ExecutionRole"), "Arn"]
    }
    assert variables["TRACKWAY_SAGEMAKER_RESOURCE_PREFIX"] == "trackway"
    assert variables["TRACKWAY_SAGEMAKER_IMAGE_URI"] == SAGEMAKER_IMAGE
    assert variables["TRACKWAY_SAGEMAKER_INSTANCE_TYPE"] == "ml.c6i.large"
    assert variables["TRACKWAY_SAGEMAKER_INSTANCE_COUNT"] == "2"
    # The deployment waits for the endpoint: minutes, within its timeout, within the claim's lease.
    assert variables["TRACKWAY_HEALTH_CHECK_SECONDS"] == str(SAGEMAKER_WAIT_SECONDS)
    assert "TRACKWAY_SERVING_FUNCTION" not in variables
    timeout = function(full, FunctionName.DEPLOYMENT)["Timeout"]
    assert timeout == SAGEMAKER_DEPLOYMENT_TIMEOUT_SECONDS
    assert timeout >= SAGEMAKER_WAIT_SECONDS + 60


def test_deployment_timeout_stays_under_the_claim_lease() -> None:
    from trackway_backend.logic.deployment.deploy import DEFAULT_LEASE_MS

    for props in (
        TrackwayProps(),
        TrackwayProps(serving_target=ServingTarget.SAGEMAKER, sagemaker_image_uri=SAGEMAKER_IMAGE),
    ):
        assert specs_for(props)[FunctionName.DEPLOYMENT].timeout_seconds * 1000 < DEFAULT_LEASE_MS


def test_serving_memory_and_storage_come_from_the_props() -> None:
    props = TrackwayProps(
        serving_memory_mb=4096, serving_ephemeral_storage_mb=8192, serving_packaging=ServingPackaging.LAYER
    )
    spec = specs_for(props)[FunctionName.SERVING]
    assert (spec.memory_mb, spec.ephemeral_storage_mb, spec.timeout_seconds) == (4096, 8192, 50)
    assert specs_for(TrackwayProps())[FunctionName.TRACKING] == SPECS[FunctionName.TRACKING]


@pytest.mark.parametrize("name", list(FunctionName))
def test_only_async_functions_have_a_dead_letter_queue(default: Synth, name: FunctionName) -> None:
    props = function(default, name)
    if name in ASYNC:
        queue = default.logical_id(f"Functions/{name.construct_id}Dlq")
        assert props["DeadLetterConfig"] == {"TargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
    else:
        assert "DeadLetterConfig" not in props


class StrictSettings(AwsSettings):
    needed: str


def test_settings_environment_fills_the_fields_the_stack_knows() -> None:
    from trackway_infra.contract import PublisherSettings

    values = {"event_bus": "bus", "region": "eu-west-1", "other": "x", "events_endpoint": None}
    assert settings_environment(PublisherSettings, values) == {
        "TRACKWAY_EVENT_BUS": "bus",
        "TRACKWAY_REGION": "eu-west-1",
    }


def test_a_required_setting_without_a_value_fails_the_synth() -> None:
    with pytest.raises(ValueError, match=r"StrictSettings\.needed is required"):
        settings_environment(StrictSettings, {})
    assert settings_environment(StrictSettings, {"needed": "1"}) == {"TRACKWAY_NEEDED": "1"}


def _name(requirement: str) -> str:
    for separator in "[<>=!~ ;":
        requirement = requirement.split(separator, 1)[0]
    return requirement


def test_the_local_stack_gives_each_function_its_deployed_timeout() -> None:
    from trackway_backend.local.gateway import FUNCTION_TIMEOUT_SECONDS

    assert {name.value: float(spec.timeout_seconds) for name, spec in SPECS.items()} == FUNCTION_TIMEOUT_SECONDS
