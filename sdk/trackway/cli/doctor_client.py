"""`trackway doctor`, client side: which mlflow client is installed, whether trackway's mlflow plugin is
active, and whether that client's large uploads would fail.

A 3.17 client sends a file under `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE` (500 MiB) as one PUT through
the API, which refuses it above 5 MiB; mlflow>=3.18 reads `artifacts_presigned_only` from server-info and
uploads straight to S3; the plugin does that for any version.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata

PLUGIN_PACKAGE = "trackway.mlflow_plugin"
PLUGIN_ENTRY_POINTS = (("mlflow.artifact_repository", "mlflow-artifacts"), ("mlflow.request_auth_provider", "trackway"))
PROXIED_LIMIT = 5 * 1024 * 1024
INSTALL = "pip install 'trackway[mlflow]'"


@dataclass(frozen=True)
class Finding:
    name: str
    level: str  # "ok", "warn" or "info"
    detail: str


def mlflow_version() -> str | None:
    for distribution in ("mlflow", "mlflow-skinny"):
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            continue
    return None


def plugin_problems(entry_points: Callable[[str], metadata.EntryPoints] | None = None) -> list[str]:
    """What keeps the plugin from being active ([] when active): entry points that are not registered, or
    that mlflow's own registries did not take (an import failure; mlflow only warns about it)."""
    select = entry_points or (lambda group: metadata.entry_points(group=group))
    problems = [
        f"entry point {group}:{name} is not registered"
        for group, name in PLUGIN_ENTRY_POINTS
        if not any(ep.name == name and ep.value.startswith(PLUGIN_PACKAGE) for ep in select(group))
    ]
    if problems:
        return problems
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # Importing mlflow builds its registries from the entry points, as in a training script.
            from mlflow.store.artifact.artifact_repository_registry import get_registered_artifact_repositories
            from mlflow.tracking.request_auth.registry import _request_auth_provider_registry
        except Exception as exc:  # a broken mlflow install
            return [f"mlflow does not import ({type(exc).__name__}: {exc})"]
    repository = get_registered_artifact_repositories().get("mlflow-artifacts")
    if not getattr(repository, "__module__", "").startswith(PLUGIN_PACKAGE):
        problems.append("mlflow did not register the plugin's artifact repository")
    if not any(provider.get_name() == "trackway" for provider in _request_auth_provider_registry):
        problems.append("mlflow did not register the plugin's auth provider")
    problems += [str(w.message) for w in caught if "trackway" in str(w.message)]
    return problems


def _release(version: str) -> tuple[int, int]:
    major, minor, *_ = [int("".join(ch for ch in part if ch.isdigit()) or 0) for part in version.split(".")] + [0, 0]
    return major, minor


def _env_multipart(env: Mapping[str, str]) -> bool:
    enabled = env.get("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", "").strip().lower() in ("1", "true", "yes")
    threshold = env.get("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", "").strip()
    return enabled and threshold.isdigit() and int(threshold) <= PROXIED_LIMIT


def client_findings(version: str | None, problems: list[str], env: Mapping[str, str] | None = None) -> list[Finding]:
    """The client-side report for an installed mlflow `version` (None: not installed) and the plugin's
    `problems` (see `plugin_problems`)."""
    env = os.environ if env is None else env
    if version is None:
        return [Finding("mlflow_client", "info", "mlflow is not installed here (the trackway SDK needs no plugin)")]
    active = not problems
    findings = [
        Finding("mlflow_client", "ok", f"mlflow {version}"),
        Finding(
            "mlflow_plugin",
            "ok" if active else "warn",
            "active: every upload goes over presigned URLs, whatever its size"
            if active
            else "not active: " + "; ".join(problems) + f" (install it: {INSTALL})",
        ),
    ]
    if active or _release(version) >= (3, 18):
        findings.append(Finding("large_uploads", "ok", "files of any size go straight to S3"))
    elif _env_multipart(env):
        findings.append(
            Finding("large_uploads", "ok", "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD and the size threshold are set")
        )
    else:
        findings.append(
            Finding(
                "large_uploads",
                "warn",
                f"mlflow {version} without the plugin uploads files under 500 MiB through the API, which refuses "
                f"them above {PROXIED_LIMIT // (1024 * 1024)} MiB (413): {INSTALL}, or set "
                "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true and "
                f"MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE={PROXIED_LIMIT}",
            )
        )
    if env.get("MLFLOW_TRACKING_AWS_SIGV4", "").strip().lower() == "true":
        findings.append(
            Finding(
                "mlflow_sigv4",
                "warn",
                "MLFLOW_TRACKING_AWS_SIGV4=true uses mlflow's signer, which API Gateway refuses for searches "
                "with spaces or repeated keys: unset it and set MLFLOW_TRACKING_AUTH=trackway (the plugin's signer)",
            )
        )
    return findings


def mlflow_client_findings() -> list[Finding]:
    version = mlflow_version()
    return client_findings(version, plugin_problems() if version else [])
