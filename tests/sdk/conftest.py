"""Fixtures for SDK unit tests: a fake MLflow server on 127.0.0.1 and isolated SDK settings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import trackway
from tests.sdk.fake_mlflow import FakeMlflow
from trackway.config import Settings
from trackway.retry import RetryPolicy
from trackway.session import Session

FAST_RETRY = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05)


@pytest.fixture
def fake() -> Iterator[FakeMlflow]:
    server = FakeMlflow().start()
    yield server
    server.stop()


@pytest.fixture
def settings(fake: FakeMlflow, tmp_path: Path) -> Settings:
    """Settings for a test: the fake server, a private home/spool, fast retries, no signal handlers."""
    return Settings(
        tracking_uri=fake.url,
        home=tmp_path / "home",
        flush_interval=0.05,
        probe_interval=0.05,
        exit_timeout=2.0,
        http_timeout=5.0,
        handle_signals=False,
        retry=FAST_RETRY,
    )


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    s = Session(settings)
    yield s
    s.shutdown()


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    for name in (
        "TRACKWAY_TRACKING_URI",
        "MLFLOW_TRACKING_URI",
        "TRACKWAY_TRACKING_TOKEN",
        "MLFLOW_TRACKING_TOKEN",
        "RANK",
        "LOCAL_RANK",
        "WORLD_SIZE",
        "TRACKWAY_LOG_ALL_RANKS",
        "MLFLOW_TRACKING_AWS_SIGV4",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TRACKWAY_HOME", str(tmp_path / "env-home"))
    monkeypatch.setenv("TRACKWAY_HANDLE_SIGNALS", "0")
    monkeypatch.setenv("TRACKWAY_MAX_ATTEMPTS", "2")
    monkeypatch.setenv("TRACKWAY_EXIT_FLUSH_TIMEOUT", "2")
    yield
    trackway.reset()
