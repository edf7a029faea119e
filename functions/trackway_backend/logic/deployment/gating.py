"""Whether a version may be deployed: a gated model deploys only versions its approval approved.

A model is gated when it has `trackway.gate.*` tags (logic/approval/gates.py). Its deploy alias may then
move to any version, but the deployment function refuses one whose `approval_status` is not `approved`
(not yet decided, or rejected), and serving stays on what was live. A model without gates deploys whatever
its alias names, as before. The registered-model tag `trackway.deploy.require_approval = "false"` opts a
gated model out explicitly (the gates still run and report); any other value keeps the requirement, so a
typo never switches it off.
"""

from __future__ import annotations

from collections.abc import Mapping

from trackway_backend.logic.approval.gates import parse_gates
from trackway_backend.logic.registry.reserved import APPROVAL_STATUS

REQUIRE_APPROVAL_TAG = "trackway.deploy.require_approval"
APPROVED = "approved"


def requires_approval(model_tags: Mapping[str, str]) -> bool:
    if not parse_gates(model_tags):
        return False
    return model_tags.get(REQUIRE_APPROVAL_TAG, "").strip().lower() != "false"


def refusal(model_tags: Mapping[str, str], version: int, version_tags: Mapping[str, str]) -> str | None:
    """Why `version` may not be deployed, or None when it may."""
    if not requires_approval(model_tags):
        return None
    status = version_tags.get(APPROVAL_STATUS)
    if status == APPROVED:
        return None
    decided = "has not been decided yet" if status is None else f"is {status}"
    return (
        f"version {version} is not approved: the model has quality gates and its approval {decided} "
        f"(tag {REQUIRE_APPROVAL_TAG}=false opts out)"
    )
