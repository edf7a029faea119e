"""The approval and deployment events, produced by the real handlers on moto from the registry's real
events, and captured from the outbox as the EventBridge events the publisher puts on the bus.

`python -m tests.support.approval_deploy_capture` rewrites their samples in events/samples/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tests.support.event_capture import ENVIRONMENT, EVENTS_DIR, Call, outbox_events, registry_backend
from trackway_backend.adapters.dynamo.deployment_store import DynamoDeploymentStore
from trackway_backend.adapters.dynamo.registry_store import DynamoRegistryStore
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.adapters.serving.serverless_target import ServerlessTarget
from trackway_backend.deployment_ports import ProbeResult, ServingProbe
from trackway_backend.handlers import approval, deployment

NAME = "iris-classifier"
GATES = {
    "trackway.gate.accuracy": ">= 0.90",
    "trackway.gate.f1_macro": ">= 0.85",
    "trackway.gate.beats_champion": "accuracy",
}
TYPES = (
    "model_version.approved",
    "model_version.rejected",
    "deployment.started",
    "deployment.succeeded",
    "deployment.failed",
    "deployment.rolled_back",
    "deployment.superseded",
    "deployment.refused",
)


class StubProbe(ServingProbe):
    """The serving function's answer to the health check, scripted per version."""

    def __init__(self, failing: set[int]) -> None:
        self.failing = failing

    def probe(self, name: str, version: int) -> ProbeResult:
        if version in self.failing:
            return ProbeResult(
                500,
                {
                    "error_code": "INTERNAL_ERROR",
                    "message": f"Model {name} version {version} "
                    "failed on its sample input (400): could not convert string to float",
                },
            )
        return ProbeResult(200, {"status": "OK", "version": str(version)})


@dataclass
class Chain:
    call: Call
    track: Call
    experiment_id: str
    seen: set[str]

    def new_events(self) -> list[dict[str, Any]]:
        fresh = [event for event in outbox_events() if event["detail"]["event_id"] not in self.seen]
        self.seen |= {event["detail"]["event_id"] for event in fresh}
        return fresh

    def register(self, **metrics: float) -> list[dict[str, Any]]:
        """A run with `metrics` and a version registered from it; returns the registry's events."""
        _, created = self.track("POST", "runs/create", {"experiment_id": self.experiment_id, "run_name": "rf"})
        run_id = created["run"]["info"]["run_id"]
        batch = [{"key": key, "value": value, "timestamp": 1, "step": 0} for key, value in metrics.items()]
        self.track("POST", "runs/log-batch", {"run_id": run_id, "metrics": batch})
        source = f"mlflow-artifacts:/{self.experiment_id}/{run_id}/artifacts/model"
        status, body = self.call("POST", "model-versions/create", {"name": NAME, "source": source, "run_id": run_id})
        assert status == 200, body
        return self.new_events()

    def set_alias(self, alias: str, version: int) -> list[dict[str, Any]]:
        status, body = self.call(
            "POST", "registered-models/alias", {"name": NAME, "alias": alias, "version": str(version)}
        )
        assert status == 200, body
        return self.new_events()

    def approve(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for event in events:
            approval.handle(event, DynamoRegistryStore(), DynamoTrackingStore())
        return self.new_events()

    def deploy(self, events: list[dict[str, Any]], failing: set[int] = frozenset()) -> list[dict[str, Any]]:  # type: ignore[assignment]
        target = ServerlessTarget(StubProbe(set(failing)), timeout_seconds=1, sleep=lambda _: None)
        for event in events:
            deployment.handle(event, DynamoRegistryStore(), DynamoDeploymentStore(), target)
        return self.new_events()


@contextmanager
def chain() -> Iterator[Chain]:
    """A registry on moto with a gated model; the environment must hold ENVIRONMENT."""
    with registry_backend() as (call, track):
        _, experiment = track("POST", "experiments/create", {"name": "iris"})
        tags = [{"key": key, "value": value} for key, value in GATES.items()]
        status, body = call("POST", "registered-models/create", {"name": NAME, "tags": tags})
        assert status == 200, body
        found = Chain(call, track, experiment["experiment_id"], set())
        found.new_events()
        yield found


def the_story(found: Chain) -> dict[str, list[dict[str, Any]]]:
    """v1 approved and deployed; v2 worse and rejected; v3 approved, deployed, unhealthy and rolled back;
    champion on the rejected v2 refused; a move to v3 overtaken by a move back to v1 before it deployed."""
    produced: dict[str, list[dict[str, Any]]] = {}

    def keep(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for event in events:
            produced.setdefault(event["detail-type"], []).append(event)
        return events

    keep(found.approve(keep(found.register(accuracy=0.9667, f1_macro=0.9658))))
    keep(found.deploy(keep(found.set_alias("champion", 1))))
    keep(found.approve(keep(found.register(accuracy=0.7, f1_macro=0.61))))
    keep(found.approve(keep(found.register(accuracy=0.9833, f1_macro=0.9829))))
    keep(found.deploy(keep(found.set_alias("champion", 3)), failing={3}))
    keep(found.deploy(keep(found.set_alias("champion", 2))))
    overtaken = keep(found.set_alias("champion", 3))
    latest = keep(found.set_alias("champion", 1))
    keep(found.deploy(overtaken + latest))
    return produced


def write_samples() -> None:
    os.environ.update(ENVIRONMENT)
    with chain() as found:
        produced = the_story(found)
    for detail_type in TYPES:
        path = EVENTS_DIR / "samples" / f"{detail_type}.json"
        path.write_text(json.dumps(produced[detail_type][-1], indent=2) + "\n")
        print(f"wrote {path.relative_to(EVENTS_DIR.parent)}")


if __name__ == "__main__":
    write_samples()
