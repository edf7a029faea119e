"""`MLFLOW_TRACKING_AUTH=trackway`: the signature on what the mlflow client sends verifies the way API
Gateway verifies it (the canonical request rebuilt from the decoded parameters, signed with botocore),
with repeated query keys, spaces and empty values; and mlflow itself applies the provider."""

from __future__ import annotations

import io
from typing import Any

import pytest
import requests
from botocore.auth import SigV4Auth as BotoSigV4Auth
from botocore.awsrequest import AWSRequest
from mlflow.tracking.request_auth.registry import _request_auth_provider_registry, fetch_auth
from mlflow.utils.credentials import get_default_host_creds
from mlflow.utils.rest_utils import http_request

from tests.sdk.fake_mlflow import FakeMlflow
from tests.sdk.test_sdk_sigv4 import CREDS, _verify_like_api_gateway
from trackway.auth import BearerAuth, SigV4Auth
from trackway.mlflow_plugin.auth import RequestsAuth, TrackwayAuthProvider, canonical_url, plugin_auth

HOST = "abc.execute-api.eu-west-1.amazonaws.com"
PARAMS: dict[str, Any] = {
    "filter": "name = 'my model' AND tags.`a b` = 'x+y'",
    "run_ids": ["b run", "a-run", "a run"],
    "page_token": "",
    "max_results": 10,
}


def prepared(method: str, params: dict[str, Any] | None = None, body: Any = None) -> requests.PreparedRequest:
    """What the mlflow client hands to `requests`: params encoded by requests (`+` for a space)."""
    return requests.Request(method, f"https://{HOST}/prod/api/2.0/mlflow/runs/x", params=params, data=body).prepare()


def sent(request: requests.PreparedRequest) -> tuple[str, str, dict[str, str]]:
    url = str(request.url)
    raw_path = url.split(HOST, 1)[1]
    return str(request.method), raw_path, {"Host": HOST, **dict(request.headers)}


def signer() -> RequestsAuth:
    return RequestsAuth(SigV4Auth(region="eu-west-1", credentials=CREDS))


def test_a_signed_get_with_repeated_keys_spaces_and_empty_values_verifies() -> None:
    request = signer()(prepared("GET", PARAMS))
    method, raw_path, headers = sent(request)
    assert _verify_like_api_gateway(method, raw_path, headers, b"")
    query = raw_path.split("?", 1)[1]
    assert "+" not in query and "filter=name%20%3D%20%27my%20model%27" in query
    assert "x%2By" in query  # a literal plus stays a plus
    assert query.count("run_ids=") == 3 and "page_token=&" in query


def test_signing_the_query_as_requests_encodes_it_does_not_verify() -> None:
    # mlflow's own signer (MLFLOW_TRACKING_AWS_SIGV4) signs the URL as requests built it.
    request = prepared("GET", PARAMS)
    aws = AWSRequest(method="GET", url=str(request.url), data=b"")
    BotoSigV4Auth(CREDS.get_frozen_credentials(), "execute-api", "eu-west-1").add_auth(aws)
    request.headers.update({k: str(v) for k, v in aws.headers.items()})
    method, raw_path, headers = sent(request)
    assert not _verify_like_api_gateway(method, raw_path, headers, b"")


def test_a_json_body_and_a_streamed_file_body_are_signed_over_their_bytes() -> None:
    body = b'{"name": "new one"}'
    method, raw_path, headers = sent(signer()(prepared("POST", body=body)))
    assert _verify_like_api_gateway(method, raw_path, headers, body)

    stream = io.BytesIO(b"x" * 3_000_000)
    request = signer()(prepared("PUT", body=stream))
    assert stream.tell() == 0  # hashed in chunks, then rewound for sending
    method, raw_path, headers = sent(request)
    assert _verify_like_api_gateway(method, raw_path, headers, stream.getvalue())
    assert not _verify_like_api_gateway(method, raw_path, headers, b"y" + stream.getvalue()[1:])


def test_canonical_url_keeps_the_path_and_sorts_pairs() -> None:
    assert canonical_url("https://h/p%20q?b=2&a=x+y&a=") == "https://h/p%20q?a=&a=x%20y&b=2"
    assert canonical_url("https://h/p") == "https://h/p"


def test_the_environment_chooses_the_auth_as_the_sdk_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert isinstance(plugin_auth({"MLFLOW_TRACKING_TOKEN": "t"}), BearerAuth)
    assert isinstance(plugin_auth({"TRACKWAY_AWS_SIGV4": "1", "MLFLOW_TRACKING_TOKEN": "t"}), SigV4Auth)
    assert isinstance(plugin_auth({"AWS_DEFAULT_REGION": "eu-west-1"}), SigV4Auth)  # IAM by default


def test_mlflow_registers_the_provider_and_applies_it(fake: FakeMlflow, monkeypatch: pytest.MonkeyPatch) -> None:
    assert any(isinstance(p, TrackwayAuthProvider) for p in _request_auth_provider_registry)
    monkeypatch.setenv("MLFLOW_TRACKING_AUTH", "trackway")
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "secret-token")
    assert fetch_auth("trackway") is fetch_auth("trackway")  # built once per configuration
    fake.dispatch("POST", "/api/2.0/mlflow/experiments/create", {}, {"name": "x y"})
    response = http_request(
        get_default_host_creds(fake.url),
        "/api/2.0/mlflow/experiments/get-by-name",
        "GET",
        params={"experiment_name": "x y"},
    )
    assert response.status_code == 200
    _, raw_path, headers = fake.requests[-1]
    assert raw_path.endswith("?experiment_name=x%20y")  # canonical on the wire, not `x+y`
    assert headers["Authorization"] == "Bearer secret-token"
