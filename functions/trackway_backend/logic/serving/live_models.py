"""The model versions one container serves: one per model, the one its live deployment names.

A request trusts the cached live version for `ttl_seconds`; after that it reads the live record again (two
consistent reads), and when the deployment has moved (another deployment id: a new version, a rollback, or a
re-created model of the same name) it loads that version before answering. Health
checks always read it. Loading happens under the model's lock, so concurrent requests load once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from trackway_backend.deployment_domain import LiveDeployment
from trackway_backend.deployment_ports import DeploymentStore, ModelLoader, Predictor
from trackway_backend.errors import NotFound
from trackway_backend.logic.deploy_alias import deploy_alias
from trackway_backend.ports import RegistryStore


@dataclass
class Served:
    name: str
    version: int
    alias: str
    live: LiveDeployment
    predictor: Predictor
    model_tags: dict[str, str] = field(default_factory=dict)
    checked_at: float = 0.0


class LiveModels:
    def __init__(
        self,
        registry: RegistryStore,
        deployments: DeploymentStore,
        loader: ModelLoader,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._deployments = deployments
        self._loader = loader
        self._ttl = ttl_seconds
        self._clock = clock
        self._served: dict[str, Served] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.loads = 0  # versions loaded by this container; read by tests

    def get(self, name: str, refresh: bool = False) -> Served:
        """The served version of `name`; raises `NotFound` when the model or its deployment is missing."""
        served = self._served.get(name)
        if served is not None and not refresh and self._clock() - served.checked_at < self._ttl:
            return served
        with self._lock(name):
            return self._refresh(name)

    def _refresh(self, name: str) -> Served:
        model = self._registry.get_model(name)
        live = self._deployments.live(model.registry_id)
        if live is None:
            self._served.pop(name, None)
            raise NotFound(f"No version of model {name} is deployed")
        served = self._served.get(name)
        now = self._clock()
        if served is not None and (served.live.deployment_id, served.live.version) == (
            live.deployment_id,
            live.version,
        ):
            served.live, served.model_tags, served.checked_at = live, dict(model.tags), now
            served.alias = deploy_alias(model.tags)
            return served
        version = self._registry.get_version(model, live.version)
        predictor = self._loader.load(version, live)
        self.loads += 1
        served = Served(name, live.version, deploy_alias(model.tags), live, predictor, dict(model.tags), now)
        self._served[name] = served
        return served

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())
