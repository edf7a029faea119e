"""Conformance with `mlflow server`: deleting a missing tag, and metrics logged against a logged model."""

from __future__ import annotations

import time
import uuid

import mlflow
import pytest
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

from trackway_backend.local.process import StackProcess


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    mlflow.set_tracking_uri(local_stack.url)
    return mlflow.MlflowClient(local_stack.url)


def _error_code(call: object) -> str:
    with pytest.raises(MlflowException) as refused:
        call()  # type: ignore[operator]
    return refused.value.error_code


def test_deleting_a_tag_that_was_never_set_is_not_found(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(f"missing-tags-{uuid.uuid4().hex[:8]}")
    run = client.create_run(experiment_id)
    model = client.create_logged_model(experiment_id, name="clf")
    assert _error_code(lambda: client.delete_tag(run.info.run_id, "never")) == "RESOURCE_DOES_NOT_EXIST"
    assert _error_code(lambda: client.delete_experiment_tag(experiment_id, "never")) == "RESOURCE_DOES_NOT_EXIST"
    assert _error_code(lambda: client.delete_logged_model_tag(model.model_id, "never")) == "RESOURCE_DOES_NOT_EXIST"


def test_metrics_logged_with_a_model_id_come_back_on_the_model(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(f"model-metrics-{uuid.uuid4().hex[:8]}")
    mlflow.set_experiment(experiment_id=experiment_id)
    with mlflow.start_run() as run:
        model = mlflow.initialize_logged_model(name="clf")
        mlflow.log_metric("acc", 0.8, model_id=model.model_id)
        mlflow.log_metric("acc", 0.9, step=1, model_id=model.model_id)
        now = int(time.time() * 1000)
        client.log_batch(
            run.info.run_id,
            metrics=[
                Metric("f1", 0.7, now, 0, model_id=model.model_id, dataset_name="test", dataset_digest="d1"),
                Metric("loss", 0.3, now, 0),
            ],
        )
    stored = client.get_logged_model(model.model_id)
    by_key = {m.key: m for m in stored.metrics or []}
    assert set(by_key) == {"acc", "f1"}
    assert (by_key["acc"].value, by_key["acc"].step) == (0.9, 1)
    assert by_key["acc"].run_id == run.info.run_id and by_key["acc"].model_id == model.model_id
    assert (by_key["f1"].dataset_name, by_key["f1"].dataset_digest) == ("test", "d1")
    found = client.search_logged_models([experiment_id])
    assert {m.key: m.value for m in found[0].metrics or []} == {"acc": 0.9, "f1": 0.7}
    assert client.get_run(run.info.run_id).data.metrics == {"acc": 0.9, "f1": 0.7, "loss": 0.3}


def test_a_metric_for_a_missing_model_is_refused_whole(client: mlflow.MlflowClient) -> None:
    run = client.create_run("0")
    missing = "m-" + uuid.uuid4().hex
    assert _error_code(lambda: client.log_metric(run.info.run_id, "acc", 0.5, model_id=missing)) == (
        "RESOURCE_DOES_NOT_EXIST"
    )
    assert client.get_run(run.info.run_id).data.metrics == {}


def test_the_fluent_log_model_tags_the_run_metrics_onto_the_model(client: mlflow.MlflowClient) -> None:
    sklearn = pytest.importorskip("sklearn.linear_model")
    mlflow.set_experiment(f"fluent-model-metrics-{uuid.uuid4().hex[:8]}")
    with mlflow.start_run():
        mlflow.log_metric("accuracy", 0.93)
        info = mlflow.sklearn.log_model(sklearn.LogisticRegression().fit([[0], [1]], [0, 1]), name="model")
    metrics = client.get_logged_model(info.model_id).metrics or []
    assert [(m.key, m.value) for m in metrics] == [("accuracy", 0.93)]


def test_metrics_logged_to_one_model_from_many_threads_all_come_back(client: mlflow.MlflowClient) -> None:
    from concurrent.futures import ThreadPoolExecutor

    experiment_id = client.create_experiment(f"model-metrics-{uuid.uuid4().hex[:8]}")
    run_id = client.create_run(experiment_id).info.run_id
    model_id = client.create_logged_model(experiment_id, name="shared").model_id
    now = int(time.time() * 1000)

    def log(writer: int) -> None:
        own = mlflow.MlflowClient(client.tracking_uri)
        for step in range(3):
            own.log_metric(run_id, f"w{writer}", float(writer * 10 + step), now + step, step, model_id=model_id)

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(log, range(12)))
    stored = {metric.key: metric for metric in client.get_logged_model(model_id).metrics or []}
    assert sorted(stored) == sorted(f"w{writer}" for writer in range(12))  # no writer's update lost
    for writer in range(12):
        assert (stored[f"w{writer}"].step, stored[f"w{writer}"].value) == (2, float(writer * 10 + 2))  # the latest
