"""`make demo`: the seed's MLflow workflow on the local stack, automated by events with no human glue.

train the iris RandomForest → log and register it → gate it (registered-model tags) → the approval function
approves it and moves `staging` → move `champion` → the deployment function deploys it to the serving
function → invoke it → register a worse challenger → the approval function rejects it.

Uses the stack at --url, else $TRACKWAY_URL, else http://127.0.0.1:${TRACKWAY_PORT:-5000}, when one answers
there; otherwise it starts one on that port (data in ./.trackway-demo) and stops it at the end. It writes
to its own experiment (`trackway-demo`) and registered model (`trackway-demo-iris`), so a stack that holds
your own work is safe to use. Only the unmodified mlflow client and plain HTTP talk to it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests

T = TypeVar("T")
EXPERIMENT = "trackway-demo"
MODEL = "trackway-demo-iris"
DEMO_TAG = "trackway.demo"
GATES = {
    "trackway.gate.accuracy": ">= 0.90",
    "trackway.gate.f1_macro": ">= 0.85",
    "trackway.gate.beats_champion": "accuracy",
}
SAMPLE = {"inputs": [[5.1, 3.5, 1.4, 0.2]]}
TRUSTED = ["sklearn.tree._tree.Tree"]  # mlflow 3 saves sklearn models with skops: trust what we trained


def step(number: int, text: str) -> None:
    print(f"\n[{number}] {text}", flush=True)


def show(text: str) -> None:
    print(f"    {text}", flush=True)


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 60.0, every: float = 0.05) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(every)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")


def stack_url(url: str | None, environ: dict[str, str] | None = None) -> str:
    """--url, else $TRACKWAY_URL, else the local stack's address on $TRACKWAY_PORT (5000), as `make run`."""
    env = os.environ if environ is None else environ
    return (url or env.get("TRACKWAY_URL") or f"http://127.0.0.1:{env.get('TRACKWAY_PORT') or 5000}").rstrip("/")


def answers(url: str) -> bool:
    try:
        return requests.get(f"{url}/health", timeout=2).ok
    except requests.RequestException:
        return False


@contextmanager
def local_stack(url: str) -> Iterator[str]:
    """The stack already answering at `url`, else a new one started on that loopback port."""
    if answers(url):
        print(f"using the stack at {url}")
        yield url
        return
    parsed = urlsplit(url)
    if parsed.hostname not in ("127.0.0.1", "localhost") or parsed.port is None:
        raise SystemExit(f"nothing answers at {url}, and the demo only starts a stack on 127.0.0.1:<port>")
    from trackway_backend.local.process import StackProcess

    data_dir = Path(os.environ.get("TRACKWAY_DEMO_DATA_DIR", ".trackway-demo")).resolve()
    print(f"starting a local stack on port {parsed.port} (data in {data_dir}) ...", flush=True)
    with StackProcess(data_dir, port=parsed.port) as stack:
        print(f"local stack up at {stack.url}")
        yield stack.url


def train(n_estimators: int, max_depth: int, train_size: float = 0.8) -> tuple[Any, dict[str, float], Any]:
    """The seed's RandomForest on sklearn's bundled iris data (no download)."""
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score
    from sklearn.model_selection import train_test_split

    iris = load_iris()
    x_train, x_test, y_train, y_test = train_test_split(iris.data, iris.target, test_size=0.2, random_state=42)
    keep = max(3, int(len(x_train) * train_size))
    model = RandomForestClassifier(n_estimators=n_estimators, max_depth=max_depth, random_state=42)
    model.fit(x_train[:keep], y_train[:keep])
    predicted = model.predict(x_test)
    metrics = {
        "accuracy": accuracy_score(y_test, predicted),
        "f1_macro": f1_score(y_test, predicted, average="macro"),
        "precision_macro": precision_score(y_test, predicted, average="macro", zero_division=0),
        "recall_macro": recall_score(y_test, predicted, average="macro"),
    }
    return model, metrics, x_train[:3]


def log_and_register(
    name: str, run_name: str, params: dict[str, Any], model: Any, metrics: dict[str, float], example: Any
) -> str:
    import mlflow

    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        logged = mlflow.sklearn.log_model(
            model, name="model", input_example=example, registered_model_name=name, skops_trusted_types=TRUSTED
        )
    show(f"run {run.info.run_id}: " + ", ".join(f"{key}={value:.4f}" for key, value in metrics.items()))
    return str(logged.registered_model_version)


def approval(client: Any, name: str, version: str) -> tuple[str, dict[str, Any]]:
    def decided() -> tuple[str, dict[str, Any]] | None:
        tags = client.get_model_version(name, version).tags
        if "approval_status" not in tags:
            return None
        return tags["approval_status"], json.loads(tags["approval_report"])

    return wait_for(f"the approval of version {version}", decided)


def show_report(status: str, report: dict[str, Any]) -> None:
    show(f"approval_status = {status}")
    for gate in report["gates"]:
        show(f"  {'PASS' if gate['passed'] else 'FAIL'}  {gate['gate']} {gate['expression']!r}: {gate['reason']}")


def reset(client: Any, name: str) -> None:
    """Remove the model an earlier demo left; refuse to touch a model the demo did not create."""
    from mlflow.exceptions import MlflowException

    try:
        existing = client.get_registered_model(name)
    except MlflowException:
        return
    if existing.tags.get(DEMO_TAG) != "true":
        sys.exit(f"a registered model '{name}' exists and was not made by this demo; pass --model <other name>")
    client.delete_registered_model(name)
    show(f"(removed the '{name}' an earlier demo left)")


def invoke(url: str, name: str, payload: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/serving/{name}/invocations", json=payload, timeout=60)


def finished_deployment(url: str, name: str) -> dict[str, Any] | None:
    """The newest entry of the deployment history (GET /api/2.0/trackway/deployments), once finished."""
    response = requests.get(f"{url}/api/2.0/trackway/deployments", params={"name": name}, timeout=10)
    newest = (response.json().get("deployments") or [None])[0] if response.ok else None
    return newest if newest and newest["status"] != "IN_PROGRESS" else None


def events_of(url: str, name: str, since: str) -> list[dict[str, Any]]:
    """The local bus's events about `name` since `since` (an ISO timestamp), oldest first."""
    found, cursor = [], "0"
    while True:
        response = requests.get(f"{url}/_local/events", params={"after": cursor, "limit": 1000}, timeout=10)
        if response.status_code != 200 or not response.json()["events"]:
            return found
        page = response.json()
        found += [
            e for e in page["events"] if e["detail"]["data"].get("name") == name and e["detail"]["timestamp"] >= since
        ]
        cursor = page["cursor"]


def run(url: str, name: str, experiment: str = EXPERIMENT) -> float:
    import mlflow
    from mlflow import MlflowClient

    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    mlflow.set_tracking_uri(url)
    mlflow.set_experiment(experiment)
    client = MlflowClient()
    reset(client, name)
    started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    step(1, "train the seed's RandomForest on iris (n_estimators=100, max_depth=5)")
    params = {"n_estimators": 100, "max_depth": 5, "random_state": 42}
    model, metrics, example = train(100, 5)

    step(2, f"log params, metrics and the model; register it as '{name}'")
    champion = log_and_register(name, "rf-baseline-v1", params, model, metrics, example)
    client.set_registered_model_tag(name, DEMO_TAG, "true")
    show(f"registered version {champion}")

    step(3, "gate: quality gates as registered-model tags (mlflow client only), then mark it the challenger")
    for key, value in GATES.items():
        client.set_registered_model_tag(name, key, value)
        show(f"{key} = {value!r}")
    client.set_registered_model_alias(name, "challenger", champion)
    status, report = approval(client, name, champion)
    show_report(status, report)
    staged = wait_for("the staging alias", lambda: client.get_registered_model(name).aliases.get("staging"))
    show(f"the approval function moved 'staging' to version {staged}")

    step(4, f"move the 'champion' alias to version {champion}: the deployment function deploys it")
    moved_at = time.perf_counter()
    client.set_registered_model_alias(name, "champion", champion)

    def serving() -> requests.Response | None:
        response = invoke(url, name, SAMPLE)
        return response if response.ok and response.headers.get("x-trackway-model-version") == champion else None

    first = wait_for("the new version to serve", serving, timeout=120)
    seconds = time.perf_counter() - moved_at
    show(f"version {champion} served its first prediction {seconds:.2f} s after the alias move")
    done = wait_for("the deployment to finish", lambda: finished_deployment(url, name))
    took = (done["finished_at"] - done["started_at"]) / 1000
    show(
        f"deployment history: {done['status']} on the {done['target']} target, previous version "
        f"{done['previous_version']}, {took:.2f} s from claim to passing the health check"
    )

    step(5, f"invoke POST {url}/serving/{name}/invocations")
    show(f"{json.dumps(SAMPLE)} -> {first.status_code} {first.text}")
    split = {"dataframe_split": {"columns": [0, 1, 2, 3], "data": [[6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]}}
    response = invoke(url, name, split)
    show(f"{json.dumps(split)} -> {response.status_code} {response.text}")
    # A worker that has not served this model yet loads it first (each API worker process holds its own copy).
    version = requests.get(f"{url}/serving/{name}/version", timeout=60).json()
    show(f"GET /serving/{name}/version -> {version}")

    step(6, "a worse challenger: 3 shallow trees on a tenth of the training data")
    weak, weak_metrics, _ = train(3, 1, train_size=0.1)
    challenger = log_and_register(
        name, "rf-weak", {"n_estimators": 3, "max_depth": 1, "random_state": 42}, weak, weak_metrics, example
    )
    show(f"registered version {challenger}; model_version.created runs the gates")
    status, report = approval(client, name, challenger)
    show_report(status, report)
    aliases = client.get_registered_model(name).aliases
    show(
        f"aliases now: {dict(sorted(aliases.items()))}; serving still answers with version "
        f"{invoke(url, name, SAMPLE).headers.get('x-trackway-model-version')}"
    )

    step(7, "the events behind it (GET /_local/events)")
    for event in events_of(url, name, started):
        data = event["detail"]["data"]
        detail = f"v{data.get('version', '-')} {data.get('alias') or data.get('status') or ''}"
        show(f"{event['detail']['timestamp']}  {event['source']:<20} {event['detail-type']:<30} {detail}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--url", help="the stack to use (default: $TRACKWAY_URL, else http://127.0.0.1:${TRACKWAY_PORT:-5000})"
    )
    parser.add_argument("--experiment", default=EXPERIMENT, help=f"experiment name (default: {EXPERIMENT})")
    parser.add_argument("--model", default=MODEL, help=f"registered model name (default: {MODEL})")
    args = parser.parse_args(argv)
    with local_stack(stack_url(args.url)) as url:
        seconds = run(url, args.model, args.experiment)
    print(f"\ndone: alias move -> new version serving predictions in {seconds:.2f} s on the local stack")
    return 0


if __name__ == "__main__":
    sys.exit(main())
