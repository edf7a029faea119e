"""Metrics logged with a model_id, through the tracking handler on moto: stored on the model, in MLflow's shape."""

from __future__ import annotations

from tests.integration.conftest import Call

API = "/api/2.0/mlflow"


def _model_and_run(call: Call) -> tuple[str, str, str]:
    _, created = call("POST", f"{API}/experiments/create", {"name": "model-metrics"})
    experiment_id = created["experiment_id"]
    _, run = call("POST", f"{API}/runs/create", {"experiment_id": experiment_id})
    _, model = call("POST", f"{API}/logged-models", {"experiment_id": experiment_id, "name": "clf"})
    return experiment_id, run["run"]["info"]["run_id"], model["model"]["info"]["model_id"]


def test_the_latest_point_per_key_run_and_dataset_comes_back_on_the_model(call: Call) -> None:
    experiment_id, run_id, model_id = _model_and_run(call)
    batch = {
        "run_id": run_id,
        "metrics": [
            {"key": "acc", "value": 0.7, "timestamp": 10, "step": 0, "model_id": model_id},
            {"key": "acc", "value": 0.8, "timestamp": 11, "step": 1, "model_id": model_id},
            {"key": "loss", "value": "NaN", "timestamp": 10, "step": 0, "model_id": model_id, "dataset_name": "d"},
            {"key": "other", "value": 1.0, "timestamp": 10, "step": 0},
        ],
    }
    assert call("POST", f"{API}/runs/log-batch", batch)[0] == 200
    assert call("POST", f"{API}/runs/log-batch", batch)[0] == 200  # a replay changes nothing
    status, body = call("GET", f"{API}/logged-models/{model_id}")
    assert status == 200
    assert body["model"]["data"]["metrics"] == [
        {"key": "acc", "value": 0.8, "timestamp": 11, "step": 1, "run_id": run_id, "model_id": model_id},
        {
            "key": "loss",
            "value": "NaN",
            "timestamp": 10,
            "step": 0,
            "dataset_name": "d",
            "run_id": run_id,
            "model_id": model_id,
        },
    ]
    _, found = call("POST", f"{API}/logged-models/search", {"experiment_ids": [experiment_id]})
    assert [m["key"] for m in found["models"][0]["data"]["metrics"]] == ["acc", "loss"]


def test_an_older_point_does_not_replace_the_latest(call: Call) -> None:
    _, run_id, model_id = _model_and_run(call)
    for step, value in ((5, 0.9), (2, 0.1)):
        metric = {"run_id": run_id, "key": "acc", "value": value, "timestamp": 1, "step": step, "model_id": model_id}
        assert call("POST", f"{API}/runs/log-metric", metric)[0] == 200
    _, body = call("GET", f"{API}/logged-models/{model_id}")
    assert [(m["step"], m["value"]) for m in body["model"]["data"]["metrics"]] == [(5, 0.9)]


def test_a_missing_model_refuses_the_batch_before_writing(call: Call) -> None:
    _, run_id, _ = _model_and_run(call)
    batch = {"run_id": run_id, "metrics": [{"key": "acc", "value": 1.0, "timestamp": 1, "model_id": "m-nope"}]}
    status, body = call("POST", f"{API}/runs/log-batch", batch)
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    _, run = call("GET", f"{API}/runs/get", run_id=run_id)
    assert run["run"]["data"].get("metrics", []) == []


def test_deleting_a_run_tag_never_set_is_not_found(call: Call) -> None:
    _, run_id, _ = _model_and_run(call)
    status, body = call("POST", f"{API}/runs/delete-tag", {"run_id": run_id, "key": "never"})
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_deleting_a_logged_model_tag_never_set_says_what_mlflow_server_says(call: Call) -> None:
    _, _, model_id = _model_and_run(call)
    status, body = call("DELETE", f"{API}/logged-models/{model_id}/tags/never")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert body["message"] == f"No tag with key 'never' found for model with ID '{model_id}'."


def test_a_deleted_model_is_read_only_with_allow_deleted_and_a_bad_flag_is_400(call: Call) -> None:
    _, _, model_id = _model_and_run(call)
    assert call("DELETE", f"{API}/logged-models/{model_id}")[0] == 200
    assert call("GET", f"{API}/logged-models/{model_id}")[0] == 404
    assert call("GET", f"{API}/logged-models/{model_id}", allow_deleted="false")[0] == 404
    status, body = call("GET", f"{API}/logged-models/{model_id}", allow_deleted="true")
    assert status == 200 and body["model"]["info"]["model_id"] == model_id
    status, body = call("GET", f"{API}/logged-models/{model_id}", allow_deleted="sometimes")
    assert status == 400 and body["error_code"] == "INVALID_PARAMETER_VALUE"
