"""Shared fixtures. System tests (tests/system) get a local stack started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trackway_backend.local.process import StackProcess

_SYSTEM_DIR = Path(__file__).parent / "system"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SYSTEM_DIR in Path(item.path).parents:
            item.add_marker(pytest.mark.system)


@pytest.fixture(scope="session", autouse=True)
def no_mlflow_telemetry() -> Iterator[None]:
    """mlflow's telemetry thread cannot reach its server here, and it edits the environment while `requests`
    reads it (an intermittent KeyError): keep it off for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
        yield


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    """The local stack (DynamoDB Local + s3rver + the handlers) on a free port, for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        # Fail fast instead of the mlflow client's 7 retries with backoff.
        patch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        patch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "60")
        with StackProcess(tmp_path_factory.mktemp("trackway-data")) as stack:
            yield stack
