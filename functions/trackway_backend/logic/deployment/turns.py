"""Deployments of one model take turns: a lease item in DynamoDB, taken with a conditional write.

The deployment function runs as many concurrent invocations as there are alias moves (Lambda instances in
AWS, worker processes locally), so an in-process lock would serialise nothing. A deployment waits for the
model's lease, polling with jitter; between polls it checks whether a newer move has overtaken it, and if
so leaves without its turn. The lease runs until the holder's invocation must end, so a holder that dies
frees the model when its invocation would have been stopped anyway.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from trackway_backend.deployment_domain import Deployment, LiveDeployment
from trackway_backend.deployment_ports import DeploymentStore
from trackway_backend.errors import NotFound, Unavailable
from trackway_backend.logic.deploy_alias import deploy_alias
from trackway_backend.ports import RegistryStore
from trackway_backend.registry_domain import RegisteredModel

POLL_SECONDS = 0.2


@dataclass(frozen=True)
class Budget:
    """`deadline`: epoch ms when the invocation ends (the lease ends then too); `run_ms`: what a deployment
    needs once its turn comes, so waiting stops while that much time is left."""

    deadline: int
    run_ms: int


@dataclass(frozen=True)
class Waited:
    """The model and what is live when the turn came, or why the deployment was overtaken instead."""

    model: RegisteredModel | None
    live: LiveDeployment | None
    overtaken: str | None = None


def overtaken(model: RegisteredModel, deployment: Deployment, live: LiveDeployment | None) -> str | None:
    """Why a newer move of the deploy alias has overtaken `deployment`, or None while it is the latest."""
    alias = deploy_alias(model.tags)
    target = model.aliases.get(alias)
    if target is None:
        return f"{alias} no longer points at version {deployment.version}"
    if target != deployment.version:
        return f"{alias} has moved on to version {target}"
    if live is not None and live.revision > deployment.revision and live.deployment_id != deployment.deployment_id:
        return f"version {live.version} went live from a newer move of {alias}"
    return None


class Turn:
    def __init__(
        self,
        registry: RegistryStore,
        store: DeploymentStore,
        deployment: Deployment,
        budget: Budget,
        clock: Callable[[], int],
        sleep: Callable[[float], None],
    ) -> None:
        self._registry = registry
        self._store = store
        self._deployment = deployment
        self._budget = budget
        self._clock = clock
        self._sleep = sleep
        self._held = False

    def wait(self) -> Waited:
        """Return once this deployment holds the model's lease, or is overtaken (then without the lease).

        Raises `Unavailable` when the turn does not come while there is time left to deploy; the caller
        releases the claim so a redelivery can take it over.
        """
        rid, holder = self._deployment.registry_id, self._deployment.deployment_id
        while True:
            self._held = self._store.acquire_lease(rid, holder, self._budget.deadline, self._clock())
            try:
                model = self._registry.get_model(self._deployment.name)
            except NotFound:
                self.end()
                return Waited(None, self._store.live(rid), "the model was deleted")
            live = self._store.live(rid)
            if (why := overtaken(model, self._deployment, live)) is not None:
                self.end()
                return Waited(model, live, why)
            if self._held:
                return Waited(model, live)
            if self._clock() + self._budget.run_ms >= self._budget.deadline:
                raise Unavailable(f"deployment {holder}: another deployment of {model.name} holds the model")
            self._sleep(POLL_SECONDS * random.uniform(0.5, 1.5))

    def end(self) -> None:
        if self._held:
            self._store.release_lease(self._deployment.registry_id, self._deployment.deployment_id)
            self._held = False
