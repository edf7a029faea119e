"""The ports of deployment and serving: deployment records, serving targets, the health probe, and model
loading. Primitives are abstract; adapters implement them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from trackway_backend.deployment_domain import Deployment, LiveDeployment
from trackway_backend.events import DomainEvent
from trackway_backend.registry_domain import ModelVersion


class DeploymentStore(ABC):
    """Deployment history and the live deployment of each model, under the model's registry id.

    `get` and `live` return None when there is nothing. Writes that carry events write them to the outbox
    in the same transaction.
    """

    @abstractmethod
    def start(self, deployment: Deployment, events: Sequence[DomainEvent]) -> bool:
        """Record a new deployment; False (and nothing written) when one with its id exists already."""

    @abstractmethod
    def take_over(self, deployment: Deployment, expected_attempt: int) -> bool:
        """Save `deployment` (a new attempt) if the stored one is still at `expected_attempt`."""

    @abstractmethod
    def finish(self, deployment: Deployment, events: Sequence[DomainEvent]) -> None:
        """Save a deployment in its terminal state, with its events."""

    @abstractmethod
    def get(self, registry_id: str, requested_at: str, deployment_id: str) -> Deployment | None: ...

    @abstractmethod
    def history(self, registry_id: str, limit: int) -> list[Deployment]:
        """The model's deployments, newest first."""

    @abstractmethod
    def live(self, registry_id: str) -> LiveDeployment | None: ...

    @abstractmethod
    def set_live(self, registry_id: str, live: LiveDeployment) -> bool:
        """Make `live` the live deployment unless a newer one (higher revision) is live; False then."""

    @abstractmethod
    def restore_live(self, registry_id: str, previous: LiveDeployment | None, replacing: str) -> bool:
        """Put `previous` back (None: nothing live) if deployment `replacing` is still the live one."""

    @abstractmethod
    def acquire_lease(self, registry_id: str, holder: str, until: int, now: int) -> bool:
        """Take (or extend) the model's deployment lease for `holder` until epoch ms `until`; False while
        another holder's lease runs after `now`. Serialises deployments of one model across processes."""

    @abstractmethod
    def release_lease(self, registry_id: str, holder: str) -> None:
        """Give the lease up if `holder` still has it (nothing happens otherwise)."""


@dataclass(frozen=True)
class DeployRequest:
    name: str
    registry_id: str
    version: ModelVersion
    deployment_id: str
    previous: LiveDeployment | None
    model_tags: dict[str, str] = field(default_factory=dict)


class DeploymentFailed(Exception):
    """The target could not deploy, or the deployed version is not healthy; `reason` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ServingTarget(ABC):
    """Where a version is served. `deploy` raises `DeploymentFailed` having left the previous version
    serving; `check` raises it when the version now live is not healthy; `restore` puts `previous` back."""

    name: str

    @abstractmethod
    def deploy(self, request: DeployRequest) -> dict[str, str]:
        """Deploy; returns details worth recording (e.g. resource names)."""

    @abstractmethod
    def check(self, request: DeployRequest, details: dict[str, str]) -> None: ...

    @abstractmethod
    def restore(self, request: DeployRequest, details: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class ProbeResult:
    status: int
    body: dict[str, object]


class ServingProbe(ABC):
    """Asks the serving function whether it serves `version` of a model and predicts with it."""

    @abstractmethod
    def probe(self, name: str, version: int) -> ProbeResult: ...


@dataclass(frozen=True)
class Scored:
    status: int
    body: str
    content_type: str = "application/json"


class Predictor(ABC):
    """A loaded model version answering the MLflow scoring protocol."""

    @abstractmethod
    def invocations(self, body: str, content_type: str) -> Scored: ...

    @abstractmethod
    def sample_input(self) -> str | None:
        """A scoring request stored with the model (its serving input example), or None."""


class ModelLoader(ABC):
    @abstractmethod
    def load(self, version: ModelVersion, live: LiveDeployment) -> Predictor:
        """Raises `Unavailable` (errors.py) when the version cannot be loaded."""
