"""search_runs and search_experiments through the unmodified mlflow client against the local stack:
`datasets.*` filters, cursor paging while another client creates runs, and a garbled page token."""

from __future__ import annotations

import threading
from typing import Any

import mlflow
import pytest
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

from tests.system.test_tracking_mlflow_client import client, unique

__all__ = ["client"]  # the fixture, shared with the other mlflow client tests


def inputs_of(run: Any) -> list[tuple[Any, ...]]:
    return sorted(
        (
            entry.dataset.name,
            entry.dataset.digest,
            entry.dataset.source_type,
            entry.dataset.source,
            entry.dataset.schema,
            entry.dataset.profile,
            sorted((tag.key, tag.value) for tag in entry.tags),
        )
        for entry in run.inputs.dataset_inputs
    )


def test_datasets_filters_match_what_log_input_logged(client: mlflow.MlflowClient) -> None:
    pandas = pytest.importorskip("pandas", reason="mlflow's pandas datasets need pandas")
    experiment = mlflow.set_experiment(unique("datasets"))
    iris = from_pandas(pandas.DataFrame({"x": [1, 2, 3]}), name="iris")
    wine = from_pandas(pandas.DataFrame({"y": [4.0, 5.0]}), name="wine")
    with mlflow.start_run() as trained:
        mlflow.log_input(iris, context="training")
        mlflow.log_input(wine, context="eval")
    with mlflow.start_run() as evaluated:
        mlflow.log_input(wine, context="eval")
    with mlflow.start_run() as plain:
        pass

    def found(filter_string: str) -> set[str]:
        return {run.info.run_id for run in client.search_runs([experiment.experiment_id], filter_string)}

    both, only_eval, none = trained.info.run_id, evaluated.info.run_id, plain.info.run_id
    assert found("datasets.name = 'iris'") == {both}
    assert found("datasets.name = 'wine'") == {both, only_eval}
    assert found("datasets.name IN ('iris', 'nope')") == {both}
    assert found("datasets.name LIKE 'w%'") == {both, only_eval}
    assert found("datasets.context = 'training'") == {both}
    assert found("datasets.context != 'training'") == {both, only_eval}  # any input whose context differs
    assert found(f"datasets.digest = '{iris.digest}'") == {both}
    # each clause matches any input, as each is its own join in MLflow's SQL store
    assert found("datasets.name = 'iris' AND datasets.context = 'eval'") == {both}
    assert none not in found("datasets.name != 'zzz'")
    seen = client.get_run(both)
    assert sorted(entry.dataset.name for entry in seen.inputs.dataset_inputs) == ["iris", "wine"]
    (searched,) = client.search_runs([experiment.experiment_id], "datasets.name = 'iris'")
    assert inputs_of(searched) == inputs_of(seen)  # search rows carry the same full inputs, schema included
    with pytest.raises(MlflowException) as bad:
        client.search_runs([experiment.experiment_id], "datasets.source = 'x'")
    assert bad.value.error_code == "INVALID_PARAMETER_VALUE"


def test_paging_while_another_client_creates_runs_returns_each_run_once(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("paging"))
    existing = set()
    for i in range(30):
        run = client.create_run(experiment_id, start_time=1_000 + i)
        client.log_batch(run.info.run_id, metrics=[Metric("m", float(i % 4), 0, 0)])
        existing.add(run.info.run_id)
    stop = threading.Event()
    created: list[str] = []

    def create_more() -> None:
        while not stop.is_set() and len(created) < 40:
            created.append(client.create_run(experiment_id).info.run_id)

    writer = threading.Thread(target=create_more)
    writer.start()
    try:
        for order_by in ([], ["metrics.m DESC"]):
            seen, token = [], None
            while True:
                page = client.search_runs([experiment_id], order_by=order_by, max_results=4, page_token=token)
                seen += [run.info.run_id for run in page]
                if not (token := page.token):
                    break
            assert len(seen) == len(set(seen)), order_by
            assert existing <= set(seen), order_by
    finally:
        stop.set()
        writer.join()
    assert created  # the writer did create runs while the pages were read


def test_a_garbled_page_token_is_invalid_parameter(client: mlflow.MlflowClient) -> None:
    experiment_id = client.create_experiment(unique("token"))
    for _ in range(3):
        client.create_run(experiment_id)
    token = client.search_runs([experiment_id], max_results=2).token
    assert token
    for bad_token in (token[:-3] + "!!!", "bm90IGEgdG9rZW4", token[::-1]):
        with pytest.raises(MlflowException) as bad:
            client.search_runs([experiment_id], max_results=2, page_token=bad_token)
        assert bad.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as foreign:
        client.search_runs([experiment_id], order_by=["metrics.m DESC"], max_results=2, page_token=token)
    assert foreign.value.error_code == "INVALID_PARAMETER_VALUE"
    with pytest.raises(MlflowException) as bad_experiments:
        client.search_experiments(max_results=1, page_token="garbled!")
    assert bad_experiments.value.error_code == "INVALID_PARAMETER_VALUE"
