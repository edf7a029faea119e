"""The seed's workflow on the local stack, driven by the unmodified mlflow client: gates → approval tags and
`staging` → `champion` → deployment → predictions; a worse challenger rejected; an unloadable version rolled
back. Events are read from the local bus (`GET /_local/events`)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import mlflow
import pytest
import requests
from mlflow.exceptions import MlflowException
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from trackway_backend.local.process import StackProcess

T = TypeVar("T")
GATES = {
    "trackway.gate.accuracy": ">= 0.90",
    "trackway.gate.f1_macro": ">= 0.85",
    "trackway.gate.beats_champion": "accuracy",
}
SAMPLE = [[5.1, 3.5, 1.4, 0.2]]


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 120.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (found := probe()) is not None:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def client(local_stack: StackProcess) -> mlflow.MlflowClient:
    mlflow.set_tracking_uri(local_stack.url)
    mlflow.set_experiment("approval-deploy")
    return mlflow.MlflowClient(local_stack.url)


@pytest.fixture
def name() -> str:
    return f"iris-classifier-{uuid.uuid4().hex[:8]}"


def train_and_register(name: str, trees: int, depth: int, keep: int = 120) -> tuple[str, dict[str, float]]:
    data = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(data.data, data.target, test_size=0.2, random_state=42)
    model = RandomForestClassifier(n_estimators=trees, max_depth=depth, random_state=42).fit(
        x_train[:keep], y_train[:keep]
    )
    predicted = model.predict(x_test)
    metrics = {"accuracy": accuracy_score(y_test, predicted), "f1_macro": f1_score(y_test, predicted, average="macro")}
    with mlflow.start_run():
        mlflow.log_metrics(metrics)
        logged = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=x_train[:2],
            registered_model_name=name,
            skops_trusted_types=["sklearn.tree._tree.Tree"],
        )
    return str(logged.registered_model_version), metrics


def approval(
    client: mlflow.MlflowClient, name: str, version: str, trigger: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The version's approval decision; with `trigger`, the one made on that event type (a version is
    approved again on each trigger, and the decision on `model_version.created` may predate later gates)."""

    def decided() -> tuple[str, dict[str, Any]] | None:
        tags = client.get_model_version(name, version).tags
        if "approval_status" not in tags:
            return None
        report = json.loads(tags["approval_report"])
        if trigger is not None and report.get("trigger", {}).get("detail_type") != trigger:
            return None
        return tags["approval_status"], report

    return wait_for(f"approval of {name} v{version}", decided)


def invoke(url: str, name: str, payload: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/serving/{name}/invocations", json=payload, timeout=60)


def serve(url: str, name: str, version: str) -> float:
    """Seconds until `version` answers predictions, counted from now."""
    start = time.perf_counter()

    def answered() -> bool | None:
        response = invoke(url, name, {"inputs": SAMPLE})
        return True if response.ok and response.headers["x-trackway-model-version"] == version else None

    wait_for(f"{name} v{version} to serve", answered)
    return time.perf_counter() - start


def history(url: str, name: str) -> list[dict[str, Any]]:
    response = requests.get(f"{url}/api/2.0/trackway/deployments", params={"name": name}, timeout=10)
    assert response.status_code == 200, response.text
    return list(response.json()["deployments"])


def finished(url: str, name: str, count: int) -> list[dict[str, Any]]:
    def done() -> list[dict[str, Any]] | None:
        found = history(url, name)
        return found if len(found) == count and found[0]["status"] != "IN_PROGRESS" else None

    return wait_for(f"{count} finished deployments of {name}", done)


def events(url: str, name: str) -> list[tuple[str, str, str]]:
    found: list[dict[str, Any]] = []
    cursor = "0"
    while page := requests.get(f"{url}/_local/events", params={"after": cursor, "limit": 1000}, timeout=10).json():
        if not page["events"]:
            break
        found += page["events"]
        cursor = page["cursor"]
    mine = [event for event in found if event["detail"]["data"].get("name") == name]
    return [
        (e["detail-type"], e["detail"]["data"].get("version") or "", e["detail"]["data"].get("alias") or "")
        for e in mine
    ]


def test_gate_approve_deploy_serve_and_reject_a_worse_challenger(
    client: mlflow.MlflowClient, local_stack: StackProcess, name: str
) -> None:
    url = local_stack.url
    first, metrics = train_and_register(name, trees=100, depth=5)
    for key, value in GATES.items():
        client.set_registered_model_tag(name, key, value)
    client.set_registered_model_alias(name, "challenger", first)
    status, report = approval(client, name, first, trigger="model_version_alias.created")
    assert status == "approved", report
    assert {gate["gate"]: gate["passed"] for gate in report["gates"]} == dict.fromkeys(GATES, True)
    assert wait_for("staging", lambda: client.get_registered_model(name).aliases.get("staging")) == first

    client.set_registered_model_alias(name, "champion", first)
    seconds = serve(url, name, first)
    print(f"\nalias move -> {name} v{first} serving predictions: {seconds:.2f} s")
    [deployed] = finished(url, name, 1)
    assert (deployed["version"], deployed["status"], deployed["previous_version"]) == (first, "SUCCEEDED", None)
    assert deployed["alias"] == "champion" and deployed["target"] == "serverless"

    records = [dict(zip(["a", "b", "c", "d"], row, strict=True)) for row in SAMPLE]
    for payload in (
        {"inputs": SAMPLE},
        {"instances": SAMPLE},
        {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": SAMPLE}},
        {"dataframe_records": records},
    ):
        response = invoke(url, name, payload)
        assert (response.status_code, response.json()) == (200, {"predictions": [0]}), payload
    bad = invoke(url, name, {"nothing": []})
    assert bad.status_code == 400 and bad.json()["error_code"] == "BAD_REQUEST"
    assert requests.get(f"{url}/serving/{name}/version", timeout=10).json()["version"] == first
    assert requests.get(f"{url}/serving/{name}/health", timeout=10).json()["status"] == "OK"

    worse, worse_metrics = train_and_register(name, trees=3, depth=1, keep=12)
    assert worse_metrics["accuracy"] < metrics["accuracy"]
    status, report = approval(client, name, worse)
    assert status == "rejected"
    failed = {gate["gate"]: gate["reason"] for gate in report["gates"] if not gate["passed"]}
    assert "trackway.gate.accuracy" in failed and "does not beat the champion" in failed["trackway.gate.beats_champion"]
    model = client.get_registered_model(name)
    assert model.aliases["staging"] == first and model.aliases["champion"] == first
    assert invoke(url, name, {"inputs": SAMPLE}).headers["x-trackway-model-version"] == first

    def rejection_seen() -> list[tuple[str, str, str]] | None:
        found = events(url, name)
        return found if ("model_version.rejected", worse, "") in found else None

    seen = wait_for("the rejection event", rejection_seen)
    with pytest.raises(MlflowException, match="PERMISSION_DENIED"):
        client.set_model_version_tag(name, worse, "approval_status", "approved")
    client.set_registered_model_alias(name, "champion", worse)
    refused = wait_for("the refusal", lambda: next((d for d in history(url, name) if d["version"] == worse), None))
    assert refused["status"] == "REFUSED" and refused["live_version"] == first, refused
    assert "not approved" in refused["reason"]
    assert invoke(url, name, {"inputs": SAMPLE}).headers["x-trackway-model-version"] == first

    def refusal_seen() -> list[tuple[str, str, str]] | None:
        found = events(url, name)
        return found if ("deployment.refused", worse, "champion") in found else None

    seen = wait_for("the refusal event", refusal_seen)
    for wanted in [
        ("model_version_alias.created", first, "challenger"),
        ("model_version.approved", first, ""),
        ("model_version_alias.created", first, "staging"),
        ("model_version_alias.created", first, "champion"),
        ("deployment.started", first, "champion"),
        ("deployment.succeeded", first, "champion"),
        ("model_version.created", worse, ""),
        ("model_version.rejected", worse, ""),
    ]:
        assert wanted in seen, (wanted, seen)
    assert [kind for kind, version, _ in seen if version == worse and kind.startswith("deployment.")] == [
        "deployment.refused"
    ]


def test_an_unloadable_version_is_rolled_back_and_the_next_move_is_fast(
    client: mlflow.MlflowClient, local_stack: StackProcess, name: str
) -> None:
    url = local_stack.url
    good, _ = train_and_register(name, trees=10, depth=3)
    client.set_registered_model_alias(name, "champion", good)
    serve(url, name, good)
    assert finished(url, name, 1)[0]["status"] == "SUCCEEDED"  # serving answers before the history is written
    empty = client.create_run(client.get_experiment_by_name("approval-deploy").experiment_id)  # logged no model
    broken = client.create_model_version(name, f"{empty.info.artifact_uri}/model", run_id=empty.info.run_id).version
    client.set_registered_model_alias(name, "champion", broken)
    rolled_back, succeeded = finished(url, name, 2)
    assert (rolled_back["version"], rolled_back["status"], rolled_back["previous_version"]) == (
        str(broken),
        "ROLLED_BACK",
        good,
    )
    assert "health check failed" in rolled_back["reason"] and f"restored version {good}" in rolled_back["reason"]
    assert succeeded["status"] == "SUCCEEDED"
    assert invoke(url, name, {"inputs": SAMPLE}).headers["x-trackway-model-version"] == good
    rollback = ["deployment.started", "deployment.failed", "deployment.rolled_back"]

    def rollback_events() -> list[str] | None:
        # Events reach the bus through the outbox stream, a moment after the history item they were written with.
        kinds = [kind for kind, version, _ in events(url, name) if version == str(broken)]
        return kinds if kinds[-3:] == rollback else None

    assert wait_for("the rollback events", rollback_events, timeout=30)[-3:] == rollback

    better, _ = train_and_register(name, trees=50, depth=4)
    client.set_registered_model_alias(name, "champion", better)
    seconds = serve(url, name, better)
    print(f"\nwarm alias move -> {name} v{better} serving predictions: {seconds:.2f} s")
    assert seconds < 30
    assert finished(url, name, 3)[0]["status"] == "SUCCEEDED"


def deployment_events(url: str, name: str) -> dict[str, list[str]]:
    """The deployment events of `name`, grouped by deployment id, in arrival order."""
    found: dict[str, list[str]] = {}
    cursor = "0"
    while page := requests.get(f"{url}/_local/events", params={"after": cursor, "limit": 1000}, timeout=10).json():
        if not page["events"]:
            break
        for event in page["events"]:
            data = event["detail"]["data"]
            if event["source"] == "trackway.deployment" and data.get("name") == name:
                found.setdefault(data["deployment_id"], []).append(event["detail-type"])
        cursor = page["cursor"]
    return found


def burst(client: mlflow.MlflowClient, name: str, versions: list[str]) -> None:
    """Move `champion` to each of `versions` from its own thread, all released at once."""
    barrier = threading.Barrier(len(versions))

    def move(version: str) -> None:
        barrier.wait()
        client.set_registered_model_alias(name, "champion", version)

    with ThreadPoolExecutor(max_workers=len(versions)) as pool:
        list(pool.map(move, versions))


def settled(url: str, name: str, count: int) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The history once it holds `count` finished deployments, and their events once every one arrived."""

    def done() -> tuple[list[dict[str, Any]], dict[str, list[str]]] | None:
        found = history(url, name)
        if len(found) < count or any(d["status"] == "IN_PROGRESS" for d in found):
            return None
        announced = deployment_events(url, name)
        finals = {"deployment." + d["status"].lower() for d in found}
        arrived = all(finals & set(announced.get(d["deployment_id"], [])) for d in found)
        return (found, announced) if arrived else None

    return wait_for(f"{count} settled deployments of {name}", done, timeout=90)


def check_burst(
    url: str, name: str, numbers: list[str], final: str, found: list[dict[str, Any]], announced: dict[str, list[str]]
) -> int:
    """The history and events of one burst tell the truth; returns how many moves went live and were then
    replaced (not overtaken: they finished before the next move was made)."""
    assert requests.get(f"{url}/serving/{name}/version", timeout=10).json()["version"] == final
    assert invoke(url, name, {"inputs": SAMPLE}).headers["x-trackway-model-version"] == final
    listed = requests.get(f"{url}/api/2.0/trackway/deployments", params={"name": name}, timeout=10).json()
    assert listed["live"]["version"] == final
    moves = [d for d in found if d["version"] in numbers]
    assert len(moves) == len(numbers)
    assert [d["version"] for d in moves if d["status"] == "SUCCEEDED" and d["version"] == final] == [final], moves
    assert {d["status"] for d in moves} <= {"SUCCEEDED", "SUPERSEDED"}, moves
    replaced = [d for d in moves if d["status"] == "SUCCEEDED" and d["version"] != final]
    for early in replaced:  # it really served: a later deployment found it live and replaced it
        later = [d for d in found if d["started_at"] >= early["finished_at"] and d["status"] == "SUCCEEDED"]
        assert any(d["previous_version"] == early["version"] for d in later), (early, moves)
    for deployment in moves:
        expected = ["deployment.started", "deployment." + deployment["status"].lower()]
        assert announced[deployment["deployment_id"]] == expected, (deployment, announced)
    every = [kind for kinds in announced.values() for kind in kinds]
    assert "deployment.failed" not in every and "deployment.rolled_back" not in every
    return len(replaced)


def test_concurrent_moves_of_champion_serve_the_final_target_and_tell_the_truth(
    client: mlflow.MlflowClient, local_stack: StackProcess, capsys: pytest.CaptureFixture[str]
) -> None:
    url, name = local_stack.url, f"race-{uuid.uuid4().hex[:8]}"
    first, _ = train_and_register(name, trees=5, depth=2)
    logged = client.get_model_version(name, first)
    client.set_registered_model_alias(name, "champion", first)
    serve(url, name, first)
    settled(url, name, 1)
    # Versions of one logged model: cheap to register, and each is a distinct deployment to the target.
    numbers = [client.create_model_version(name, logged.source, model_id=logged.model_id).version for _ in range(28)]
    deployed = 1
    for movers in (8, 20):
        batch, numbers = numbers[:movers], numbers[movers:]
        started = time.perf_counter()
        burst(client, name, batch)
        final = client.get_model_version_by_alias(name, "champion").version
        deployed += movers
        found, announced = settled(url, name, deployed)
        seconds = time.perf_counter() - started
        replaced = check_burst(url, name, batch, final, found, announced)
        statuses = [d["status"] for d in found if d["version"] in batch]
        with capsys.disabled():
            print(
                f"\n{movers} concurrent moves of champion: settled in {seconds:.1f} s, serving v{final}; "
                f"{statuses.count('SUCCEEDED')} SUCCEEDED ({replaced} live before a later move replaced them), "
                f"{statuses.count('SUPERSEDED')} SUPERSEDED"
            )
