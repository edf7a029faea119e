"""In-memory fakes for approval, deployment and serving unit tests: a deployment store with the same
conditional semantics as the DynamoDB one, a tracking store that only knows runs, a scripted serving target
and a model loader."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trackway_backend.deployment_domain import Deployment, DeploymentStatus, LiveDeployment
from trackway_backend.deployment_ports import (
    DeploymentFailed,
    DeploymentStore,
    DeployRequest,
    ModelLoader,
    Predictor,
    Scored,
    ServingTarget,
)
from trackway_backend.domain import LoggedModel, LoggedModelStatus, Metric, Run, RunStatus
from trackway_backend.errors import Conflict, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.ports import TrackingStore
from trackway_backend.registry_domain import ModelVersion


class InMemoryDeploymentStore(DeploymentStore):
    def __init__(self) -> None:
        self.deployments: dict[tuple[str, str], Deployment] = {}
        self.lives: dict[str, LiveDeployment] = {}
        self.leases: dict[str, tuple[str, int]] = {}  # registry id -> (holder, held until)
        self.outbox: list[DomainEvent] = []

    def start(self, deployment: Deployment, events: Sequence[DomainEvent]) -> bool:
        key = (deployment.registry_id, deployment.deployment_id)
        if key in self.deployments:
            return False
        self.deployments[key] = copy.deepcopy(deployment)
        self.outbox += events
        return True

    def take_over(self, deployment: Deployment, expected_attempt: int) -> bool:
        stored = self.deployments[(deployment.registry_id, deployment.deployment_id)]
        if stored.attempt != expected_attempt or stored.status.is_terminal:
            return False
        self.deployments[(deployment.registry_id, deployment.deployment_id)] = copy.deepcopy(deployment)
        return True

    def finish(self, deployment: Deployment, events: Sequence[DomainEvent]) -> None:
        key = (deployment.registry_id, deployment.deployment_id)
        if self.deployments[key].attempt != deployment.attempt:
            raise Conflict("taken over")
        self.deployments[key] = copy.deepcopy(deployment)
        self.outbox += events

    def get(self, registry_id: str, requested_at: str, deployment_id: str) -> Deployment | None:
        found = self.deployments.get((registry_id, deployment_id))
        return copy.deepcopy(found) if found else None

    def history(self, registry_id: str, limit: int) -> list[Deployment]:
        mine = [d for (owner, _), d in self.deployments.items() if owner == registry_id]
        return sorted(mine, key=lambda d: (d.requested_at, d.deployment_id), reverse=True)[:limit]

    def live(self, registry_id: str) -> LiveDeployment | None:
        return self.lives.get(registry_id)

    def set_live(self, registry_id: str, live: LiveDeployment) -> bool:
        current = self.lives.get(registry_id)
        if current is not None and current.revision > live.revision:
            return False
        self.lives[registry_id] = live
        return True

    def restore_live(self, registry_id: str, previous: LiveDeployment | None, replacing: str) -> bool:
        current = self.lives.get(registry_id)
        if current is None or current.deployment_id != replacing:
            return False
        if previous is None:
            del self.lives[registry_id]
        else:
            self.lives[registry_id] = previous
        return True

    def acquire_lease(self, registry_id: str, holder: str, until: int, now: int) -> bool:
        current = self.leases.get(registry_id)
        if current is not None and current[0] != holder and current[1] >= now:
            return False
        self.leases[registry_id] = (holder, until)
        return True

    def release_lease(self, registry_id: str, holder: str) -> None:
        if self.leases.get(registry_id, ("", 0))[0] == holder:
            del self.leases[registry_id]

    def statuses(self) -> list[DeploymentStatus]:
        return [deployment.status for deployment in self.deployments.values()]


class FakeRuns(TrackingStore):
    """Only `get_run` and `get_logged_model`, the reads approval and registration make."""

    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self.logged_models: dict[str, LoggedModel] = {}
        self.reads = 0

    def add(self, run_id: str, **metrics: float) -> str:
        self.runs[run_id] = Run(
            run_id=run_id,
            experiment_id="1",
            run_name=run_id,
            user_id="ana",
            status=RunStatus.FINISHED,
            start_time=0,
            end_time=1,
            artifact_uri=f"mlflow-artifacts:/1/{run_id}/artifacts",
            metrics={key: Metric(key, value, 1) for key, value in metrics.items()},
        )
        return run_id

    def get_run(self, run_id: str) -> Run:
        self.reads += 1
        if run_id not in self.runs:
            raise NotFound(f"Run with id={run_id} not found")
        return self.runs[run_id]

    def add_logged_model(self, model_id: str, source_run_id: str | None, experiment_id: str = "1") -> str:
        self.logged_models[model_id] = LoggedModel(
            model_id=model_id,
            experiment_id=experiment_id,
            name="model",
            artifact_location=f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts",
            status=LoggedModelStatus.READY,
            creation_timestamp=0,
            last_updated_timestamp=0,
            source_run_id=source_run_id,
        )
        return model_id

    def get_logged_model(self, model_id: str) -> LoggedModel:
        if model_id not in self.logged_models:
            raise NotFound(f"Logged model with id={model_id} not found")
        return self.logged_models[model_id]


FakeRuns.__abstractmethods__ = frozenset()  # the rest of the port is never called by these tests


@dataclass
class ScriptedTarget(ServingTarget):
    """A target whose deploy and check fail when told to; it records what it was asked to do."""

    name: str = "fake"
    fail_deploy: str | None = None
    fail_check: str | None = None
    calls: list[str] = field(default_factory=list)
    on_check: Callable[[DeployRequest], None] | None = None

    def deploy(self, request: DeployRequest) -> dict[str, str]:
        self.calls.append(f"deploy v{request.version.version}")
        if self.fail_deploy:
            raise DeploymentFailed(self.fail_deploy)
        return {"slot": f"v{request.version.version}"}

    def check(self, request: DeployRequest, details: dict[str, str]) -> None:
        self.calls.append(f"check v{request.version.version}")
        if self.on_check:
            self.on_check(request)
        if self.fail_check:
            raise DeploymentFailed(self.fail_check)

    def restore(self, request: DeployRequest, details: dict[str, str]) -> None:
        previous = request.previous.version if request.previous else None
        self.calls.append(f"restore {previous}")


class EchoPredictor(Predictor):
    def __init__(self, version: int, sample: str | None = '{"inputs": [[1]]}', fails: bool = False) -> None:
        self.version = version
        self.sample = sample
        self.fails = fails

    def invocations(self, body: str, content_type: str) -> Scored:
        if self.fails:
            return Scored(400, '{"error_code": "BAD_REQUEST", "message": "boom"}')
        return Scored(200, f'{{"predictions": [{self.version}]}}')

    def sample_input(self) -> str | None:
        return self.sample


class FakeLoader(ModelLoader):
    def __init__(self, broken: set[int] | None = None) -> None:
        self.loaded: list[int] = []
        self.broken = broken or set()

    def load(self, version: ModelVersion, live: LiveDeployment) -> Predictor:
        self.loaded.append(version.version)
        return EchoPredictor(version.version, fails=version.version in self.broken)
