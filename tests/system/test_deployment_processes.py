"""Deployments of one model in separate OS processes (as concurrent Lambda instances, or the local stack's
worker processes) take turns through the DynamoDB lease: never two on the serving target at once, and the
latest alias move is what ends up live. Runs on DynamoDB Local (AWS's own engine for conditional writes)."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trackway_backend.local.engines import engines, local_credentials, missing_tools

NAME = "racing-processes"
PROCESSES = 6


def environment(dynamodb: str) -> dict[str, str]:
    key, secret = local_credentials()
    return {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "TRACKWAY_DYNAMODB_ENDPOINT": dynamodb,
        "TRACKWAY_REGISTRY_TABLE": "registry-processes",
        "TRACKWAY_OUTBOX_TABLE": "outbox-processes",
    }


def bind() -> None:
    from trackway_backend.handlers import deployment

    deployment.configure()


def register_versions(count: int) -> None:
    """The model and its versions, written as the registry writes them (registration is not under test)."""
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.logic.registry import models
    from trackway_backend.logic.registry.changes import modify
    from trackway_backend.ports import RegistryChange
    from trackway_backend.registry_domain import ModelVersion, RegisteredModel

    store = DynamoRegistryStore()
    models.create(store, NAME, {}, None, None)

    def add(model: RegisteredModel) -> RegistryChange:
        model.last_version += 1
        source = f"mlflow-artifacts:/0/{'a' * 32}/artifacts/v{model.last_version}"
        version = ModelVersion(NAME, model.last_version, 0, 0, source, source, run_id="a" * 32)
        return RegistryChange(model, created_version=version)

    for _ in range(count):
        modify(store, NAME, add)


def deploy_in_process(event: dict[str, Any], env: dict[str, str], intervals: str, start: Any) -> str:
    """One process: the deployment function handling one alias move."""
    os.environ.update(env)
    bind()
    from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.deployment_ports import DeployRequest, ServingTarget
    from trackway_backend.handlers import deployment

    class IntervalTarget(ServingTarget):
        """Notes when each deployment is on the target; slow enough for an overlap to show."""

        name = "interval"

        def deploy(self, request: DeployRequest) -> dict[str, str]:
            self._entered = time.time()
            time.sleep(0.3)
            return {}

        def check(self, request: DeployRequest, details: dict[str, str]) -> None:
            time.sleep(0.1)
            with open(intervals, "a") as out:
                out.write(json.dumps([self._entered, time.time(), request.version.version]) + "\n")

        def restore(self, request: DeployRequest, details: dict[str, str]) -> None:
            return

    start.wait()  # every process imported and bound: the deployments race
    result = deployment.handle(event, DynamoRegistryStore(), DynamoDeploymentStore(), IntervalTarget(), 60_000, 10_000)
    return str(result["status"])


@pytest.fixture
def dynamodb(tmp_path: Path) -> Iterator[dict[str, str]]:
    if missing_tools():
        pytest.skip(f"needs DynamoDB Local: {', '.join(missing_tools())}")
    with engines(tmp_path / "engines") as endpoints, pytest.MonkeyPatch.context() as patch:
        env = environment(endpoints.dynamodb)
        for key, value in env.items():
            patch.setenv(key, value)
        bind()
        from trackway_backend.adapters.dynamo.outbox import OutboxItem
        from trackway_backend.adapters.dynamo.registry_items import RegistryItem
        from trackway_backend.adapters.dynamo.tables import create_missing

        create_missing(RegistryItem, OutboxItem)
        yield env


def test_deployments_in_separate_processes_never_share_the_target(dynamodb: dict[str, str], tmp_path: Path) -> None:
    from tests.support.event_capture import outbox_events
    from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
    from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
    from trackway_backend.logic.registry import aliases

    register_versions(2)
    # champion 1, 2, 1, 2, …: the moves to 2 are all current (the alias ends on 2), so their deployments
    # contend for the target; the moves to 1 are overtaken.
    for move in range(PROCESSES):
        aliases.set_alias(DynamoRegistryStore(), NAME, "champion", str(move % 2 + 1), "mover")
    events = [e for e in outbox_events() if e["detail-type"] == "model_version_alias.created"]
    intervals = tmp_path / "intervals.jsonl"
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        start = manager.Barrier(PROCESSES)
        jobs = [pool.apply_async(deploy_in_process, (e, dynamodb, str(intervals), start)) for e in events]
        statuses = [job.get(timeout=120) for job in jobs]
    model = DynamoRegistryStore().get_model(NAME)
    final = model.aliases["champion"]
    store = DynamoDeploymentStore()
    history: list[Any] = store.history(model.registry_id, 50)
    live = store.live(model.registry_id)
    on_target = sorted(json.loads(line) for line in intervals.read_text().splitlines())
    print(f"\n{PROCESSES} processes: {sorted(statuses)}; {len(on_target)} took turns on the target; final v{final}")
    assert set(statuses) <= {"SUCCEEDED", "SUPERSEDED"}
    assert live is not None and live.version == final
    latest = max(history, key=lambda d: d.revision)
    assert (latest.version, latest.status.value) == (final, "SUCCEEDED")  # the latest move wins
    assert {d.status.value for d in history if d.version != final} == {"SUPERSEDED"}
    for (_, left, _), (right, _, _) in itertools.pairwise(on_target):
        assert left <= right, on_target  # one deployment left the target before the next entered it
