"""The thin handlers: the serving resolver serves exactly its routes from the table, and the event handlers
pass on what is not theirs (with the registry's real sample events)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.fake_deployments import FakeRuns, InMemoryDeploymentStore, ScriptedTarget
from tests.support.fake_registry import InMemoryRegistryStore
from trackway_backend.handlers import approval, deployment, serving
from trackway_backend.routes import Function, routes_for
from trackway_backend.settings import DeploymentSettings, ServingSettings

SAMPLES = Path(__file__).parents[2] / "events" / "samples"


def sample(detail_type: str, **data: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((SAMPLES / f"{detail_type}.json").read_text())
    event["detail"]["data"].update(data)
    return event


def test_the_serving_resolver_serves_exactly_its_routes() -> None:
    app = serving.build_app(ServingSettings(model_cache_dir="/nonexistent"))
    served = {(route.method, route.path) for route in app._static_routes + app._dynamic_routes}
    assert served == {(route.method, route.resolver_path) for route in routes_for(Function.SERVING)}


def test_approval_passes_on_aliases_other_than_challenger() -> None:
    outcome = approval.handle(
        sample("model_version_alias.created", alias="champion"), InMemoryRegistryStore(), FakeRuns()
    )
    assert outcome == {"status": None, "note": "alias champion is not challenger"}


def test_deployment_passes_on_version_creation_and_unknown_models() -> None:
    registry, store, target = InMemoryRegistryStore(), InMemoryDeploymentStore(), ScriptedTarget()
    created = deployment.handle(sample("model_version.created"), registry, store, target)
    assert created["status"] is None and "does not move an alias" in created["note"]
    moved = deployment.handle(sample("model_version_alias.created"), registry, store, target)
    assert moved == {"status": None, "note": "model iris-classifier no longer exists"}
    assert target.calls == []


def test_the_deployment_target_follows_the_settings() -> None:
    assert deployment.build_target(DeploymentSettings()).name == "serverless"
    assert deployment.build_target(DeploymentSettings(serving_target="sagemaker")).name == "sagemaker"
