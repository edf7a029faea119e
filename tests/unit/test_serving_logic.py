"""The serving side: the live version cached per container with a TTL, reloads on a move, health checks."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from tests.support.fake_deployments import FakeLoader, FakeRuns, InMemoryDeploymentStore
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.deployment_domain import LiveDeployment
from trackway_backend.errors import Conflict, InternalError, NotFound
from trackway_backend.logic.registry import models, versions
from trackway_backend.logic.serving import scoring
from trackway_backend.logic.serving.live_models import LiveModels

NAME = "iris-classifier"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class World(NamedTuple):
    registry: InMemoryRegistryStore
    store: InMemoryDeploymentStore
    loader: FakeLoader
    clock: Clock
    live: LiveModels


@pytest.fixture
def world() -> World:
    registry, store, loader, clock = InMemoryRegistryStore(), InMemoryDeploymentStore(), FakeLoader({3}), Clock()
    models.create(registry, NAME, {}, None, None)
    runs = FakeRuns()
    runs.add("r")
    for _ in range(3):
        versions.create(registry, runs, NAME, "mlflow-artifacts:/1/r/artifacts/m", "r", {}, None, None, None, None)
    return World(registry, store, loader, clock, LiveModels(registry, store, loader, 1.0, clock))


def go_live(registry: InMemoryRegistryStore, store: InMemoryDeploymentStore, version: int) -> None:
    rid = registry.get_model(NAME).registry_id
    store.lives[rid] = LiveDeployment(version, f"d{version}", version, "serverless", 0)


def test_nothing_deployed_is_404(world: World) -> None:
    _, _, _, _, live = world
    with pytest.raises(NotFound, match="No version of model"):
        scoring.invoke(live, NAME, "{}", "application/json")
    with pytest.raises(NotFound):
        scoring.invoke(live, "unknown", "{}", "application/json")


def test_a_model_loads_once_and_reloads_after_the_ttl_when_the_deployment_moved(world: World) -> None:
    registry, store, loader, clock, live = world
    go_live(registry, store, 1)
    served, scored = scoring.invoke(live, NAME, '{"inputs": [[1]]}', "application/json")
    assert served.version == 1 and scored.body == '{"predictions": [1]}'
    go_live(registry, store, 2)
    clock.now = 0.5
    assert scoring.invoke(live, NAME, "{}", "application/json")[0].version == 1  # within the TTL
    clock.now = 1.6
    assert scoring.invoke(live, NAME, "{}", "application/json")[0].version == 2
    clock.now = 3.0
    scoring.invoke(live, NAME, "{}", "application/json")
    assert loader.loaded == [1, 2] and live.loads == 2
    rid = registry.get_model(NAME).registry_id
    store.lives[rid] = LiveDeployment(2, "redeployed", 9, "serverless", 0)  # same number, another deployment
    assert scoring.health(live, NAME)["deployment_id"] == "redeployed"
    assert loader.loaded == [1, 2, 2]


def test_health_reads_the_live_version_now_and_checks_the_expected_one(world: World) -> None:
    registry, store, _, _, live = world
    go_live(registry, store, 1)
    scoring.invoke(live, NAME, "{}", "application/json")
    go_live(registry, store, 2)
    report = scoring.health(live, NAME, predict=True, expect_version=2)
    assert report == {
        "status": "OK",
        "name": NAME,
        "version": "2",
        "alias": "champion",
        "deployment_id": "d2",
        "target": "serverless",
        "prediction": "OK",
    }
    with pytest.raises(Conflict, match="serves version 2, not 1"):
        scoring.health(live, NAME, expect_version=1)


def test_a_model_failing_on_its_sample_input_is_unhealthy(world: World) -> None:
    registry, store, _, _, live = world
    go_live(registry, store, 3)
    assert scoring.health(live, NAME)["version"] == "3"  # it loads
    with pytest.raises(InternalError, match="failed on its sample input"):
        scoring.health(live, NAME, predict=True)
