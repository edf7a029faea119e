"""The unmodified mlflow client against the local stack."""

from __future__ import annotations

import math
import time
import uuid

import mlflow
import pytest
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.exceptions import MlflowException

from trackway_backend.local.process import StackProcess


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    mlflow.set_tracking_uri(local_stack.url)
    return mlflow.MlflowClient(local_stack.url)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_the_readme_training_script(client: mlflow.MlflowClient) -> None:
    experiment = mlflow.set_experiment(unique("iris-classification"))
    with mlflow.start_run(run_name="rf-baseline-v1") as run:
        mlflow.log_params({"n_estimators": 100, "max_depth": 5})
        mlflow.log_metrics({"accuracy": 0.95, "f1_macro": 0.94})
        for epoch in range(50):
            mlflow.log_metric("train_loss", 1 / (epoch + 1), step=epoch)
    with mlflow.start_run(run_name="weak"):
        mlflow.log_params({"n_estimators": 100})
        mlflow.log_metrics({"accuracy": 0.5, "f1_macro": 0.4})
    found = client.search_runs(
        [experiment.experiment_id],
        "metrics.accuracy > 0.9 AND params.n_estimators = '100'",
        order_by=["metrics.f1_macro DESC"],
        max_results=10,
    )
    assert [r.info.run_id for r in found] == [run.info.run_id]
    stored = client.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.info.run_name == "rf-baseline-v1"
    assert stored.data.params == {"n_estimators": "100", "max_depth": "5"}
    assert stored.data.metrics["train_loss"] == pytest.approx(1 / 50)
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) == 50


def test_start_run_without_an_experiment_uses_the_default(client: mlflow.MlflowClient) -> None:
    mlflow.set_experiment(experiment_id="0")
    with mlflow.start_run() as run:
        mlflow.log_metric("x", 1.0)
    assert run.info.experiment_id == "0"
    assert run.info.run_name  # generated when none is given


def test_experiment_lifecycle_and_tags(client: mlflow.MlflowClient) -> None:
    name = unique("lifecycle")
    experiment_id = client.create_experiment(name, tags={"team": "vision"})
    with pytest.raises(MlflowException) as duplicate:
        client.create_experiment(name)
    assert duplicate.value.error_code == "RESOURCE_ALREADY_EXISTS"
    client.set_experiment_tag(experiment_id, "stage", "dev")
    client.rename_experiment(experiment_id, name + "-renamed")
    experiment = client.get_experiment_by_name(name + "-renamed")
    assert experiment is not None and experiment.tags == {"team": "vision", "stage": "dev"}
    assert client.get_experiment_by_name(name) is None
    client.delete_experiment_tag(experiment_id, "stage")
    client.delete_experiment(experiment_id)
    assert client.get_experiment(experiment_id).lifecycle_stage == "deleted"
    deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name = '{name}-renamed'")
    assert [e.experiment_id for e in deleted] == [experiment_id]
    client.restore_experiment(experiment_id)
    assert client.get_experiment(experiment_id).tags == {"team": "vision"}


def test_search_experiments_filters_orders_and_pages(client: mlflow.MlflowClient) -> None:
    prefix = unique("search-exp")
    ids = [client.create_experiment(f"{prefix}-{i}", tags={"parity": str(i % 2)}) for i in range(7)]
    even = client.search_experiments(
        filter_string=f"name LIKE '{prefix}%' AND tags.parity = '0'", order_by=["name DESC"]
    )
    assert [e.name for e in even] == [f"{prefix}-{i}" for i in (6, 4, 2, 0)]
    pages, token = [], None
    while True:
        page = client.search_experiments(filter_string=f"name LIKE '{prefix}%'", max_results=3, page_token=token)
        pages.append([e.experiment_id for e in page])
        if not (token := page.token):
            break
    assert sorted(i for p in pages for i in p) == sorted(ids)
    assert [len(p) for p in pages] == [3, 3, 1]


def test_run_tags_batches_and_deletion(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("runs"))
    run = client.create_run(experiment_id, tags={"owner": "ana"})
    now = int(time.time() * 1000)
    client.log_batch(
        run.info.run_id,
        metrics=[Metric("m", math.nan, now, 0), Metric("m", 2.0, now, 1)],
        params=[Param("p", "1")],
        tags=[RunTag("t", "v")],
    )
    client.set_tag(run.info.run_id, "mlflow.runName", "renamed")
    client.delete_tag(run.info.run_id, "t")
    stored = client.get_run(run.info.run_id)
    assert stored.info.run_name == "renamed"
    assert stored.data.metrics == {"m": 2.0}
    assert "t" not in stored.data.tags and stored.data.tags["owner"] == "ana"
    history = client.get_metric_history(run.info.run_id, "m")
    assert math.isnan(history[0].value) and history[1].value == 2.0
    client.set_terminated(run.info.run_id, "FAILED")
    client.delete_run(run.info.run_id)
    assert client.search_runs([experiment_id]) == []
    assert len(client.search_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY)) == 1
    with pytest.raises(MlflowException) as refused:
        client.log_metric(run.info.run_id, "m", 3.0)
    assert refused.value.error_code == "INVALID_PARAMETER_VALUE"


def test_search_runs_grammar_and_paging(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("grammar"))
    run_ids = []
    for i in range(25):
        run = client.create_run(experiment_id, run_name=f"run-{i:02d}", tags={"kind": "even" if i % 2 == 0 else "odd"})
        client.log_batch(run.info.run_id, metrics=[Metric("acc", i / 100, 0, 0)], params=[Param("depth", str(i % 5))])
        run_ids.append(run.info.run_id)
    assert len(client.search_runs([experiment_id], "metrics.acc >= 0.2")) == 5
    assert len(client.search_runs([experiment_id], "params.depth = '3' AND tags.kind = 'odd'")) == 3
    assert len(client.search_runs([experiment_id], "attributes.run_name LIKE 'run-1%'")) == 10
    assert len(client.search_runs([experiment_id], "tags.kind ILIKE 'EV%'")) == 13
    assert len(client.search_runs([experiment_id], f"attributes.run_id IN ('{run_ids[0]}', '{run_ids[1]}')")) == 2
    best = client.search_runs([experiment_id], order_by=["metrics.acc DESC"], max_results=1)
    assert best[0].info.run_id == run_ids[-1]
    seen, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id], order_by=["params.depth ASC", "metrics.acc DESC"], max_results=4, page_token=token
        )
        seen += [r.info.run_id for r in page]
        if not (token := page.token):
            break
    assert sorted(seen) == sorted(run_ids) and len(seen) == 25
    with pytest.raises(MlflowException) as bad:
        client.search_runs([experiment_id], "metrics.acc > 1 OR params.depth = '1'")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_twenty_thousand_point_history(client: mlflow.MlflowClient) -> None:
    run = client.create_run(client.create_experiment(unique("long-history")))
    for start in range(0, 20_000, 1000):
        client.log_batch(
            run.info.run_id, metrics=[Metric("loss", 1 / (s + 1), s, s) for s in range(start, start + 1000)]
        )
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [m.step for m in history] == list(range(20_000))
    assert client.get_run(run.info.run_id).data.metrics["loss"] == pytest.approx(1 / 20_000)


def test_logged_models(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("logged-models"))
    run = client.create_run(experiment_id)
    model = client.create_logged_model(
        experiment_id, name="clf", source_run_id=run.info.run_id, params={"alpha": "0.1"}, tags={"kind": "sklearn"}
    )
    assert model.status.to_proto() == 1 or str(model.status).endswith("PENDING")
    assert model.artifact_location.endswith(f"/{experiment_id}/models/{model.model_id}/artifacts")
    client.finalize_logged_model(model.model_id, "READY")
    client.set_logged_model_tags(model.model_id, {"stage": "candidate"})
    found = client.search_logged_models([experiment_id], filter_string="name = 'clf'")
    assert [m.model_id for m in found] == [model.model_id]
    assert found[0].tags == {"kind": "sklearn", "stage": "candidate"}
    assert str(client.get_logged_model(model.model_id).status).endswith("READY")


def test_error_codes(client: mlflow.MlflowClient) -> None:
    with pytest.raises(MlflowException) as missing:
        client.get_run("0" * 32)
    assert missing.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    with pytest.raises(MlflowException) as missing_experiment:
        client.get_experiment("987654")
    assert missing_experiment.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    run = client.create_run("0")
    client.log_param(run.info.run_id, "p", "a")
    with pytest.raises(MlflowException) as changed:
        client.log_param(run.info.run_id, "p", "b")
    assert changed.value.error_code == "INVALID_PARAMETER_VALUE"
