"""The model registry workflow with the unmodified mlflow client against the local stack."""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from trackway_backend.local.process import StackProcess


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    mlflow.set_tracking_uri(local_stack.url)
    mlflow.set_registry_uri(local_stack.url)
    return mlflow.MlflowClient(local_stack.url, local_stack.url)


@pytest.fixture(autouse=True)
def quiet_stage_deprecations() -> None:
    warnings.filterwarnings("ignore", category=FutureWarning, module="mlflow")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def register(client: mlflow.MlflowClient, name: str, count: int) -> None:
    client.create_registered_model(name)
    artifacts = client.create_run("0").info.artifact_uri
    for index in range(count):
        client.create_model_version(name, f"{artifacts}/{name}/{index}")


def test_register_a_sklearn_model_and_load_it_by_alias_and_version(client: mlflow.MlflowClient) -> None:
    features, labels = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=300).fit(features, labels)
    mlflow.set_experiment(unique("iris-registry"))
    with mlflow.start_run():
        mlflow.log_metric("accuracy", float(model.score(features, labels)))
        info = mlflow.sklearn.log_model(model, name="model", registered_model_name="iris-classifier")
    assert str(info.registered_model_version) == "1"
    assert client.get_model_version("iris-classifier", "1").run_id == info.run_id
    artifact_root = mlflow.get_logged_model(info.model_id).artifact_location
    assert client.get_model_version_download_uri("iris-classifier", "1") == artifact_root
    client.set_registered_model_alias("iris-classifier", "champion", "1")
    expected = model.predict(features[:5])
    by_alias = mlflow.pyfunc.load_model("models:/iris-classifier@champion")
    np.testing.assert_array_equal(by_alias.predict(features[:5]), expected)
    by_version = mlflow.pyfunc.load_model("models:/iris-classifier/1")
    np.testing.assert_array_equal(by_version.predict(features[:5]), expected)


def test_register_model_twice_adds_a_version(client: mlflow.MlflowClient) -> None:
    name = unique("twice")
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        logged = mlflow.initialize_logged_model(name="model", source_run_id=run.info.run_id)
    first = mlflow.register_model(f"models:/{logged.model_id}", name)
    second = mlflow.register_model(f"models:/{logged.model_id}", name)
    assert (first.version, second.version) == ("1", "2")
    assert second.run_id == run.info.run_id
    assert client.get_model_version_download_uri(name, "2") == logged.artifact_location


def test_register_model_from_runs_uris_binds_the_version_to_its_run(
    client: mlflow.MlflowClient, tmp_path: Path
) -> None:
    name = unique("runs-uri")
    mlflow.set_experiment(unique("exp"))
    with mlflow.start_run() as run:
        logged = mlflow.initialize_logged_model(name="model", source_run_id=run.info.run_id)
        (tmp_path / "MLmodel").write_text("flavors: {}\n")
        mlflow.log_artifact(str(tmp_path / "MLmodel"), artifact_path="plain")
    # No MLmodel under runs:/<run>/model: the client registers the run's logged model named "model".
    from_logged = mlflow.register_model(f"runs:/{run.info.run_id}/model", name)
    assert from_logged.run_id == run.info.run_id
    assert client.get_model_version_download_uri(name, from_logged.version) == logged.artifact_location
    # An MLmodel under runs:/<run>/plain: the client sends the run's artifact URI, which lies inside the run.
    from_files = mlflow.register_model(f"runs:/{run.info.run_id}/plain", name)
    assert from_files.run_id == run.info.run_id
    assert client.get_model_version_download_uri(name, from_files.version) == f"{run.info.artifact_uri}/plain"
    with mlflow.start_run() as other:
        pass
    with pytest.raises(MlflowException, match=r"INVALID_PARAMETER_VALUE|does not lie inside"):
        client.create_model_version(name, f"{run.info.artifact_uri}/plain", run_id=other.info.run_id)


def test_model_and_version_crud(client: mlflow.MlflowClient) -> None:
    name = unique("crud")
    created = client.create_registered_model(name, tags={"team": "cv"}, description="flowers")
    assert (created.name, created.tags, created.description) == (name, {"team": "cv"}, "flowers")
    with pytest.raises(MlflowException, match=r"RESOURCE_ALREADY_EXISTS|already exists"):
        client.create_registered_model(name)
    source = f"{client.create_run('0').info.artifact_uri}/x"
    version = client.create_model_version(name, source, tags={"framework": "sklearn"}, description="v1")
    assert (version.version, version.tags, version.description, version.current_stage) == (
        "1",
        {"framework": "sklearn"},
        "v1",
        "None",
    )
    client.update_registered_model(name, description="updated")
    client.update_model_version(name, "1", description="v1 updated")
    client.set_registered_model_tag(name, "owner", "ana")
    client.delete_registered_model_tag(name, "team")
    client.set_model_version_tag(name, "1", "validated", "true")
    client.delete_model_version_tag(name, "1", "framework")
    renamed = unique("renamed")
    client.rename_registered_model(name, renamed)
    model = client.get_registered_model(renamed)
    assert (model.description, model.tags) == ("updated", {"owner": "ana"})
    version = client.get_model_version(renamed, "1")
    assert (version.name, version.description, version.tags) == (renamed, "v1 updated", {"validated": "true"})
    with pytest.raises(MlflowException, match=r"RESOURCE_DOES_NOT_EXIST|not found"):
        client.get_registered_model(name)
    client.delete_model_version(renamed, "1")
    with pytest.raises(MlflowException):
        client.get_model_version(renamed, "1")
    client.delete_registered_model(renamed)
    with pytest.raises(MlflowException):
        client.get_registered_model(renamed)


def test_aliases(client: mlflow.MlflowClient) -> None:
    name = unique("alias")
    register(client, name, 2)
    client.set_registered_model_alias(name, "champion", "1")
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    assert client.get_model_version(name, "2").aliases == ["champion"]
    with pytest.raises(MlflowException) as missing:
        client.get_model_version_by_alias(name, "challenger")
    assert missing.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException, match="reserved"):
        client.set_registered_model_alias(name, "latest", "1")
    client.delete_registered_model_alias(name, "champion")
    assert client.get_registered_model(name).aliases == {}


def test_stages_and_latest_versions(client: mlflow.MlflowClient) -> None:
    name = unique("stages")
    register(client, name, 3)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    moved = client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
    assert moved.current_stage == "Production"
    assert client.get_model_version(name, "1").current_stage == "Archived"
    latest = {v.current_stage: v.version for v in client.get_latest_versions(name)}
    assert latest == {"Archived": "1", "Staging": "2", "Production": "3"}
    assert [v.version for v in client.get_latest_versions(name, stages=["Staging"])] == ["2"]


def test_search(client: mlflow.MlflowClient) -> None:
    prefix = unique("search")
    for suffix in ("a", "b", "c"):
        register(client, f"{prefix}-{suffix}", 2 if suffix == "a" else 1)
    client.set_registered_model_tag(f"{prefix}-b", "team", "nlp")
    found = client.search_registered_models(f"name LIKE '{prefix}-%'", max_results=2, order_by=["name DESC"])
    assert [m.name for m in found] == [f"{prefix}-c", f"{prefix}-b"] and found.token
    rest = client.search_registered_models(
        f"name LIKE '{prefix}-%'", max_results=2, order_by=["name DESC"], page_token=found.token
    )
    assert [m.name for m in rest] == [f"{prefix}-a"] and not rest.token
    assert [m.name for m in client.search_registered_models("tags.team = 'nlp'")] == [f"{prefix}-b"]
    assert f"{prefix}-a" in [m.name for m in client.search_registered_models()]
    versions = client.search_model_versions(f"name = '{prefix}-a'", order_by=["version_number ASC"])
    assert [v.version for v in versions] == ["1", "2"]
    with pytest.raises(MlflowException, match="OR"):
        client.search_registered_models("name = 'a' OR name = 'b'")
