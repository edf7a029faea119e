"""The serving use cases: score a request, report health and the served version."""

from __future__ import annotations

from typing import Any

from trackway_backend.deployment_ports import Scored
from trackway_backend.errors import Conflict, InternalError
from trackway_backend.logic.serving.live_models import LiveModels, Served

SAMPLE_INPUT_TAG = "trackway.serving.sample_input"
"""A registered-model tag holding a scoring request (JSON) for health checks; else the model's own example."""


def invoke(models: LiveModels, name: str, body: str, content_type: str) -> tuple[Served, Scored]:
    served = models.get(name)
    return served, served.predictor.invocations(body, content_type)


def health(models: LiveModels, name: str, predict: bool = False, expect_version: int | None = None) -> dict[str, Any]:
    """Always re-reads the live deployment. With `predict`, scores the sample input and fails (500) when
    that fails; with `expect_version`, answers 409 while another version is live."""
    served = models.get(name, refresh=True)
    if expect_version is not None and served.version != expect_version:
        raise Conflict(f"Model {name} serves version {served.version}, not {expect_version}")
    report: dict[str, Any] = {"status": "OK", **served_version(served)}
    if predict:
        sample = served.model_tags.get(SAMPLE_INPUT_TAG) or served.predictor.sample_input()
        if sample is None:
            report["prediction"] = "skipped: no sample input stored with the model or in " + SAMPLE_INPUT_TAG
        else:
            scored = served.predictor.invocations(sample, "application/json")
            if scored.status != 200:
                raise InternalError(
                    f"Model {name} version {served.version} failed on its sample input ({scored.status}): "
                    f"{scored.body[:1000]}"
                )
            report["prediction"] = "OK"
    return report


def served_version(served: Served) -> dict[str, Any]:
    return {
        "name": served.name,
        "version": str(served.version),
        "alias": served.alias,
        "deployment_id": served.live.deployment_id,
        "target": served.live.target,
    }
