"""The default target: the serving function. Deploying is making the version live (the use case writes the
live record the serving function reads); the health check asks the serving function to load and predict
with it; restoring is the use case putting the previous live record back."""

from __future__ import annotations

import time
from collections.abc import Callable

from trackway_backend.deployment_ports import DeploymentFailed, DeployRequest, ServingProbe, ServingTarget
from trackway_backend.registry_domain import VersionStatus

_RETRY_STATUSES = {409, 429, 502, 503, 504}  # not serving the new version yet, or transient; 500 is final
_RETRY_DELAY = 0.5


class ServerlessTarget(ServingTarget):
    name = "serverless"

    def __init__(
        self,
        probe: ServingProbe,
        timeout_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._probe = probe
        self._timeout = timeout_seconds
        self._sleep = sleep
        self._clock = clock

    def deploy(self, request: DeployRequest) -> dict[str, str]:
        version = request.version
        if version.status is not VersionStatus.READY:
            raise DeploymentFailed(f"version {version.version} is {version.status.value}, not READY")
        if not (version.storage_location or version.source):
            raise DeploymentFailed(f"version {version.version} has no storage location")
        return {"invocations": f"/serving/{request.name}/invocations"}

    def check(self, request: DeployRequest, details: dict[str, str]) -> None:
        deadline = self._clock() + self._timeout
        while True:
            try:
                result = self._probe.probe(request.name, request.version.version)
                status, message = result.status, str(result.body.get("message", result.body))
            except Exception as exc:  # the probe itself failed (throttled, timed out): try again
                status, message = 503, f"probe failed: {type(exc).__name__}: {exc}"
            if status == 200:
                return
            if status not in _RETRY_STATUSES or self._clock() >= deadline:
                raise DeploymentFailed(f"serving answered {status}: {message}")
            self._sleep(_RETRY_DELAY)

    def restore(self, request: DeployRequest, details: dict[str, str]) -> None:
        return  # nothing outside the live record, which the use case restores
