"""Answers for the UI calls of MLflow features trackway does not have (traces, prompts' evaluation,
datasets, scorers, the AI gateway, workspaces, jobs, …): what an MLflow server with nothing stored, or
with the feature off, answers. The pages then show their empty state instead of an error."""

from __future__ import annotations

import re
from typing import Any

# (method or "*", path pattern below /ajax-api) → JSON body. First match wins.
_EMPTY: list[tuple[str, str, dict[str, Any]]] = [
    # Traces (v2, v3, v4) and their artifacts and metrics.
    ("*", r"/[234]\.0/mlflow/traces(/search(-long-running|-progressive)?)?", {"traces": []}),
    ("*", r"/[234]\.0/mlflow/traces/batchGetInfos", {"traces": []}),
    ("*", r"/[234]\.0/mlflow/traces/metrics", {"data_points": []}),
    ("*", r"/[234]\.0/mlflow/traces/.*", {}),
    ("*", r"/[23]\.0/mlflow/get-trace-artifact", {}),
    # Evaluation datasets, scorers, issues, labelling, review queues, jobs.
    ("*", r"/2\.0/mlflow/experiments/search-datasets", {"dataset_summaries": []}),
    ("*", r"/3\.0/mlflow/datasets/search", {"datasets": []}),
    ("*", r"/3\.0/mlflow/scorers/list", {"scorers": []}),
    ("*", r"/3\.0/mlflow/scorers/online-configs?", {"configs": []}),
    ("*", r"/3\.0/mlflow/issues/search", {"issues": []}),
    ("*", r"/3\.0/mlflow/label-schemas", {"label_schemas": []}),
    ("*", r"/3\.0/mlflow/review-queues", {"review_queues": []}),
    ("*", r"/3\.0/(mlflow/)?jobs/search", {"jobs": []}),
    ("*", r"/3\.0/mlflow/mcp-servers", {"mcp_servers": []}),
    # The AI gateway: MLflow answers an empty endpoint list when no deployments target is configured.
    ("*", r"/2\.0/mlflow/gateway-proxy", {"endpoints": []}),
    ("*", r"/3\.0/mlflow/gateway/endpoints/list", {"endpoints": []}),
    ("*", r"/3\.0/mlflow/gateway/endpoints/bindings/list", {"bindings": []}),
    ("*", r"/3\.0/mlflow/gateway/model-definitions/list", {"model_definitions": []}),
    ("*", r"/3\.0/mlflow/gateway/secrets/list", {"secrets": []}),
    ("*", r"/3\.0/mlflow/gateway/guardrails/list(-for-endpoint)?", {"guardrails": []}),
    ("*", r"/3\.0/mlflow/gateway/budgets/list", {"budget_policies": []}),
    ("*", r"/3\.0/mlflow/gateway/supported-providers", {"providers": []}),
    ("*", r"/3\.0/mlflow/gateway/supported-models", {"models": []}),
    ("*", r"/3\.0/mlflow/gateway/secrets/config", {"secrets_available": False}),
    # Webhooks, workspaces, users: not served by trackway (EventBridge replaces webhooks).
    ("GET", r"/2\.0/mlflow/webhooks", {"webhooks": []}),
    ("GET", r"/3\.0/mlflow/workspaces", {"workspaces": []}),
    # Users and permissions exist only with MLflow's basic-auth app: no user is signed in.
    ("GET", r"/2\.0/mlflow/users/current", {}),
    ("GET", r"/3\.0/mlflow/users/current/permissions", {"permissions": []}),
    # The coding assistant: no provider configured.
    ("GET", r"/3\.0/mlflow/assistant/config", {"providers": {}, "projects": {}, "remote_access_allowed": False}),
    ("GET", r"/3\.0/mlflow/assistant/providers", {"providers": [], "resolved": None, "gateway_vendor_options": []}),
    # UI telemetry: off.
    ("GET", r"/3\.0/mlflow/ui-telemetry", {"disable_ui_telemetry": True, "disable_ui_events": []}),
    ("POST", r"/3\.0/mlflow/ui-telemetry", {"status": "disabled"}),
]
_COMPILED = [(method, re.compile(pattern + "$"), body) for method, pattern, body in _EMPTY]


def empty_answer(method: str, path: str) -> dict[str, Any] | None:
    """The feature-off answer of an `/ajax-api` call (path without that prefix), or None if it is served."""
    for wanted, pattern, body in _COMPILED:
        if wanted in ("*", method) and pattern.match(path):
            return body
    return None
