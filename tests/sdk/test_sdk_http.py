"""RestClient: retries with backoff on 408/429/5xx and connection errors; error mapping; auth headers."""

from __future__ import annotations

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.auth import BasicAuth, BearerAuth, auth_from_settings
from trackway.config import Settings
from trackway.errors import RestError, UnreachableError
from trackway.http import RestClient
from trackway.retry import RetryPolicy

FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.02)


def test_retries_5xx_and_429_then_succeeds(fake: FakeMlflow) -> None:
    fake.fail("experiments/get$", 503, times=2)
    fake.fail("experiments/get$", 429, times=1)
    body = RestClient(fake.url, retry=FAST).call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
    assert body["experiment"]["name"] == "Default"
    assert len(fake.requests) == 4


def test_gives_up_after_max_attempts_with_the_server_error(fake: FakeMlflow) -> None:
    fake.fail("experiments/get$", 500, times=10)
    with pytest.raises(RestError) as info:
        RestClient(fake.url, retry=FAST).call("GET", "/api/2.0/mlflow/experiments/get", {"experiment_id": "0"})
    assert info.value.status == 500 and info.value.retryable
    assert len(fake.requests) == 4


def test_client_errors_are_not_retried_and_carry_the_error_code(fake: FakeMlflow) -> None:
    with pytest.raises(RestError) as info:
        RestClient(fake.url, retry=FAST).call("GET", "/api/2.0/mlflow/runs/get", {"run_id": "nope"})
    assert (info.value.status, info.value.error_code) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert len(fake.requests) == 1


def test_connection_refused_raises_unreachable() -> None:
    with pytest.raises(UnreachableError):
        RestClient("http://127.0.0.1:9", retry=FAST).call("GET", "/health")


def test_deadline_stops_retrying(fake: FakeMlflow) -> None:
    import time

    fake.fail("health", 503, times=100)
    slow = RetryPolicy(max_attempts=50, base_delay=0.2, max_delay=0.2)
    started = time.monotonic()
    with pytest.raises(RestError):
        RestClient(fake.url, retry=slow).call("GET", "/health", deadline=time.monotonic() + 0.3)
    assert time.monotonic() - started < 1.0


def test_bearer_token_is_sent_to_the_api_but_never_to_presigned_urls(fake: FakeMlflow) -> None:
    fake.token = "s3cret"
    client = RestClient(fake.url, auth=BearerAuth("s3cret"), retry=FAST)
    client.call("GET", "/health")
    fake.objects["1/r/artifacts/f"] = b"data"
    info = client.call("GET", "/api/2.0/mlflow-artifacts/presigned/1/r/artifacts/f")
    fake.token = None  # S3 does not know our token
    assert client.raw("GET", info["url"]).content == b"data"
    assert fake.requests[0][2]["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in fake.requests[-1][2]


def test_auth_from_settings_prefers_basic_over_bearer_like_mlflow() -> None:
    assert auth_from_settings(Settings()) is None
    assert isinstance(auth_from_settings(Settings(token="t")), BearerAuth)
    assert isinstance(auth_from_settings(Settings(token="t", username="u", password="p")), BasicAuth)
    assert BasicAuth("u", "p").headers("GET", "x", None) == {"Authorization": "Basic dTpw"}


def test_settings_from_env_reads_trackway_then_mlflow_names() -> None:
    env = {
        "MLFLOW_TRACKING_URI": "http://m",
        "MLFLOW_TRACKING_TOKEN": "mt",
        "TRACKWAY_TRACKING_TOKEN": "tt",
        "TRACKWAY_SPOOL_DIR": "/tmp/sp",
        "RANK": "3",
        "WORLD_SIZE": "8",
    }
    settings = Settings.from_env(env)
    assert (settings.tracking_uri, settings.token, str(settings.spool_path)) == ("http://m", "tt", "/tmp/sp")
    assert (settings.rank, settings.world_size, settings.logs_enabled) == (3, 8, False)
    assert Settings.from_env({**env, "TRACKWAY_LOG_ALL_RANKS": "1"}).logs_enabled
    assert Settings.from_env({"LOCAL_RANK": "0"}).logs_enabled
    assert Settings.from_env({"MLFLOW_TRACKING_AWS_SIGV4": "true"}).sigv4
