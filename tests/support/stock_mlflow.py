"""mlflow's artifact repositories as they are without trackway's plugin (which `make install` installs)."""

from __future__ import annotations

import pytest
from mlflow.store.artifact import artifact_repository_registry as registry
from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository


def use_stock_artifact_repositories(monkeypatch: pytest.MonkeyPatch) -> None:
    """Put mlflow's own repositories back in its registry until `monkeypatch` undoes it."""
    schemes = registry._artifact_repository_registry._registry
    monkeypatch.setitem(schemes, "mlflow-artifacts", MlflowArtifactsRepository)
    monkeypatch.setitem(schemes, "http", HttpArtifactRepository)
    monkeypatch.setitem(schemes, "https", HttpArtifactRepository)
