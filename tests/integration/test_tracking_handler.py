from __future__ import annotations

import base64
import math
import os

import pytest

from tests.integration.conftest import Call

API = "/api/2.0/mlflow"


def new_run(call: Call, name: str = "exp") -> str:
    status, body = call("POST", f"{API}/experiments/create", {"name": name})
    assert status == 200
    status, body = call("POST", f"{API}/runs/create", {"experiment_id": body["experiment_id"], "run_name": "r1"})
    assert status == 200
    return str(body["run"]["info"]["run_id"])


def test_default_experiment_exists(call: Call) -> None:
    status, body = call("GET", f"{API}/experiments/get", experiment_id="0")
    assert status == 200
    assert body["experiment"]["name"] == "Default"


def test_get_by_name_of_a_missing_experiment_is_resource_does_not_exist(call: Call) -> None:
    status, body = call("GET", f"{API}/experiments/get-by-name", experiment_name="nope")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_duplicate_experiment_is_resource_already_exists(call: Call) -> None:
    assert call("POST", f"{API}/experiments/create", {"name": "dup"})[0] == 200
    status, body = call("POST", f"{API}/experiments/create", {"name": "dup"})
    assert (status, body["error_code"]) == (400, "RESOURCE_ALREADY_EXISTS")


def test_log_batch_round_trip_with_special_values(call: Call) -> None:
    run_id = new_run(call)
    metrics = [
        {"key": "loss", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "loss", "value": 0.5, "timestamp": 2, "step": 1},
        {"key": "peak", "value": "Infinity", "timestamp": 1, "step": 0},
    ]
    status, _ = call(
        "POST",
        f"{API}/runs/log-batch",
        {"run_id": run_id, "metrics": metrics, "params": [{"key": "lr", "value": "0.1"}]},
    )
    assert status == 200
    status, body = call("GET", f"{API}/runs/get", run_id=run_id)
    data = body["run"]["data"]
    latest = {m["key"]: m["value"] for m in data["metrics"]}
    assert latest == {"loss": 0.5, "peak": "Infinity"}
    assert data["params"] == [{"key": "lr", "value": "0.1"}]
    status, body = call("GET", f"{API}/metrics/get-history", run_id=run_id, metric_key="loss")
    values = [m["value"] for m in body["metrics"]]
    assert values[1] == 0.5 and values[0] == "NaN"
    assert not any(isinstance(v, float) and math.isnan(v) for v in values)


def test_retried_log_batch_adds_no_duplicate_points(call: Call) -> None:
    run_id = new_run(call)
    batch = {"run_id": run_id, "metrics": [{"key": "m", "value": i, "timestamp": 10, "step": i} for i in range(5)]}
    for _ in range(3):
        assert call("POST", f"{API}/runs/log-batch", batch)[0] == 200
    _, body = call("GET", f"{API}/metrics/get-history", run_id=run_id, metric_key="m")
    assert sorted(m["step"] for m in body["metrics"]) == [0, 1, 2, 3, 4]


def test_params_are_immutable_but_relogging_the_same_value_is_fine(call: Call) -> None:
    run_id = new_run(call)
    assert call("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})[0] == 200
    assert call("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})[0] == 200
    status, body = call("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "2"})
    assert (status, body["error_code"]) == (400, "INVALID_PARAMETER_VALUE")
    assert "Changing param values is not allowed" in body["message"]


def test_a_rejected_batch_writes_nothing(call: Call) -> None:
    run_id = new_run(call)
    call("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"})
    batch = {
        "run_id": run_id,
        "metrics": [{"key": "m", "value": 1, "timestamp": 1}],
        "params": [{"key": "p", "value": "changed"}],
    }
    assert call("POST", f"{API}/runs/log-batch", batch)[0] == 400
    _, body = call("GET", f"{API}/runs/get", run_id=run_id)
    assert body["run"]["data"]["metrics"] == []


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"metrics": [{"key": "m", "value": 1, "timestamp": 1}] * 1001}, "at most 1000 metrics"),
        ({"params": [{"key": f"p{i}", "value": "v"} for i in range(101)]}, "at most 100 params"),
        ({"metrics": [{"key": "../x", "value": 1, "timestamp": 1}]}, "Invalid metric name"),
        ({"metrics": [{"key": "m", "value": "high", "timestamp": 1}]}, "invalid value"),
        ({"metrics": [{"key": "m", "value": 1}]}, "Missing value for required parameter"),
        ({"params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]}, "Duplicate parameter keys"),
    ],
)
def test_bad_batches_get_400_with_an_mlflow_error(call: Call, body: dict, fragment: str) -> None:
    run_id = new_run(call)
    status, response = call("POST", f"{API}/runs/log-batch", {"run_id": run_id, **body})
    assert status == 400
    assert response["error_code"] == "INVALID_PARAMETER_VALUE"
    assert fragment.lower() in response["message"].lower()


def test_over_long_param_values_are_truncated(call: Call) -> None:
    run_id = new_run(call)
    assert call("POST", f"{API}/runs/log-parameter", {"run_id": run_id, "key": "p", "value": "x" * 6001})[0] == 200
    _, body = call("GET", f"{API}/runs/get", run_id=run_id)
    assert len(body["run"]["data"]["params"][0]["value"]) == 6000


def test_logging_to_a_deleted_run_is_refused(call: Call) -> None:
    run_id = new_run(call)
    assert call("POST", f"{API}/runs/delete", {"run_id": run_id})[0] == 200
    status, body = call("POST", f"{API}/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})
    assert status == 400
    assert "must be in the 'active' state" in body["message"]
    assert call("POST", f"{API}/runs/restore", {"run_id": run_id})[0] == 200
    assert call("POST", f"{API}/runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})[0] == 200


def test_unknown_run_and_unknown_route(call: Call) -> None:
    status, body = call("GET", f"{API}/runs/get", run_id="0123abcd")
    assert (status, body["error_code"]) == (404, "RESOURCE_DOES_NOT_EXIST")
    status, body = call("POST", f"{API}/runs/nope", {})
    assert (status, body["error_code"]) == (404, "ENDPOINT_NOT_FOUND")


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]"])
def test_malformed_bodies_are_400_never_500(call: Call, raw: str) -> None:
    from tests.integration.conftest import Context, api_event
    from trackway_backend.handlers import tracking

    event = api_event("POST", f"{API}/runs/log-batch", {})
    event["body"] = raw
    response = tracking.handler(event, Context())
    assert response["statusCode"] == 400


def test_finishing_a_run_writes_one_run_finished_event_to_the_outbox(call: Call) -> None:
    from trackway_backend.adapters.dynamo.outbox import OutboxItem

    run_id = new_run(call)
    for _ in range(2):  # a retried UpdateRun must not emit twice
        assert call("POST", f"{API}/runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": 5})[0] == 200
    events = [item for item in OutboxItem.scan() if item.detail["data"].get("run_id") == run_id]
    assert [e.detail_type for e in events] == ["run.finished"]
    assert events[0].detail["data"]["status"] == "FINISHED"


def test_a_run_summary_past_the_item_limit_is_a_clear_400(call: Call) -> None:
    run_id = new_run(call)
    statuses = []
    for batch in range(2):
        # Random values: the summary is stored compressed, and repeated characters would compress away.
        params = [{"key": f"p{batch}-{i}", "value": base64.b64encode(os.urandom(4500)).decode()} for i in range(50)]
        status, body = call("POST", f"{API}/runs/log-batch", {"run_id": run_id, "params": params})
        statuses.append(status)
    assert statuses == [200, 400]
    assert "400 KB" in body["message"]


@pytest.mark.parametrize("order_by", [[], ["metrics.m DESC"]])
def test_a_search_of_no_experiment_finds_nothing(call: Call, order_by: list[str]) -> None:
    new_run(call)
    status, body = call("POST", f"{API}/runs/search", {"experiment_ids": [], "order_by": order_by})
    assert status == 200, body
    assert body.get("runs", []) == []
