"""SigV4: the query string we send is the canonical one, checked against botocore's own canonicaliser."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from botocore.auth import SigV4Auth as BotoSigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.auth import SigV4Auth
from trackway.errors import ConfigurationError
from trackway.http import RestClient
from trackway.query import build_url, canonical_query, query_pairs

CREDS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token")
PARAMS: dict[str, Any] = {
    "filter": "name = 'my model' AND tags.`a b` = 'x+y'",
    "run_ids": ["b run", "a-run", "a run"],
    "max_results": 10,
    "page_token": "eyJvZmZzZXQiOiAxfQ==",
}


def _boto(url: str, **kwargs: Any) -> str:
    return str(BotoSigV4Auth(CREDS, "execute-api", "eu-west-1").canonical_query_string(AWSRequest(url=url, **kwargs)))


def test_query_string_we_send_is_botocore_canonical_form_of_the_raw_params() -> None:
    url = build_url("https://abc.execute-api.eu-west-1.amazonaws.com/prod", "/api/2.0/mlflow/runs/x", PARAMS)
    expected = _boto("https://h/", params=query_pairs(PARAMS))  # botocore canonicalising the raw pairs
    assert urlsplit(url).query == expected
    assert _boto(url) == expected  # what botocore signs for the URL we send
    assert canonical_query(query_pairs(PARAMS)) == expected
    assert "%20" in expected and "+" not in expected
    assert expected.count("run_ids=") == 3  # repeated keys kept, not collapsed
    assert expected.index("run_ids=a%20run") < expected.index("run_ids=a-run") < expected.index("run_ids=b%20run")


def test_requests_style_encoding_would_sign_a_different_string() -> None:
    # What the mlflow client sends (requests: '+' for spaces, insertion order) is not canonical.
    plus = "https://h/p?run_ids=b+run&run_ids=a+run"
    assert _boto(plus) != _boto("https://h/p", params=[("run_ids", "b run"), ("run_ids", "a run")])


def _verify_like_api_gateway(method: str, raw_path: str, headers: dict[str, str], body: bytes) -> bool:
    """Rebuild the canonical request from what arrived (decoded params, re-encoded per spec) and compare."""
    parts = urlsplit(raw_path)
    amz_date = headers["X-Amz-Date"]
    request = AWSRequest(
        method=method,
        url=f"http://{headers['Host']}{parts.path}",
        params=parse_qsl(parts.query, keep_blank_values=True),
        data=body,
        headers={k: v for k, v in headers.items() if k.lower() in ("host", "x-amz-date", "x-amz-security-token")},
    )
    signer = BotoSigV4Auth(CREDS.get_frozen_credentials(), "execute-api", "eu-west-1")
    request.context["timestamp"] = amz_date
    canonical = signer.canonical_request(request)
    signature = signer.signature(signer.string_to_sign(request, canonical), request)
    return headers["Authorization"].endswith(f"Signature={signature}")


def test_signed_get_with_repeated_keys_and_spaces_verifies_server_side(fake: FakeMlflow) -> None:
    client = RestClient(fake.url, auth=SigV4Auth(region="eu-west-1", credentials=CREDS))
    fake.dispatch("POST", "/api/2.0/mlflow/experiments/create", {}, {"name": "x y"})
    client.call("GET", "/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": "x y", "tag": ["b c", "a"]})
    client.call("POST", "/api/2.0/mlflow/experiments/create", {"name": "new one"})
    assert len(fake.requests) == 2
    for (method, raw_path, headers), body in zip(fake.requests, [b"", b'{"name": "new one"}'], strict=True):
        assert headers["X-Amz-Security-Token"] == "session-token"
        assert _verify_like_api_gateway(method, raw_path, headers, body)
    assert "experiment_name=x%20y" in fake.requests[0][1]


def test_signature_date_is_fresh_per_request(fake: FakeMlflow) -> None:
    auth = SigV4Auth(region="eu-west-1", credentials=CREDS)
    headers = auth.headers("GET", f"{fake.url}/health", None)
    stamp = dt.datetime.strptime(headers["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) < 60


def test_sigv4_without_botocore_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_botocore(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("botocore"):
            raise ImportError("No module named 'botocore'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_botocore)
    with pytest.raises(ConfigurationError, match=r"trackway\[aws\]"):
        SigV4Auth(region="eu-west-1")


def test_importing_trackway_does_not_import_botocore() -> None:
    import subprocess
    import sys

    code = "import sys, trackway; print('botocore' in sys.modules, 'boto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
