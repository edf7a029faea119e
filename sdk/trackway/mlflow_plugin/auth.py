"""`MLFLOW_TRACKING_AUTH=trackway`: SigV4 (or a bearer token) as a `requests` auth the mlflow client applies.

The mlflow client lets `requests` encode GET parameters (`+` for a space, keys in insertion order) and its
own SigV4 signer (`MLFLOW_TRACKING_AWS_SIGV4`) signs that text as it is, so API Gateway, which rebuilds the
canonical query from the decoded parameters, refuses signed searches and repeated keys. Here the query
string of the prepared request is rewritten into its canonical form first, then signed with the SDK's
signer: what is signed is exactly what is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any, cast
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from mlflow.tracking.request_auth.abstract_request_auth_provider import RequestAuthProvider
from requests import PreparedRequest
from requests.auth import AuthBase

from trackway.auth import Auth, Body, SigV4Auth, auth_from_settings
from trackway.config import Settings
from trackway.query import canonical_query

PROVIDER_NAME = "trackway"


def canonical_url(url: str) -> str:
    """`url` with its query re-encoded canonically (`%20` for a space, pairs sorted, repeats kept)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    return urlunsplit(parts._replace(query=canonical_query(pairs)))


def plugin_auth(env: Mapping[str, str] | None = None) -> Auth:
    """The auth `MLFLOW_TRACKING_AUTH=trackway` stands for, chosen from the environment as the SDK does:
    SigV4 when asked for (`TRACKWAY_AWS_SIGV4`), else basic auth, else a bearer token, else SigV4 (IAM is
    a deployed stack's default authorizer)."""
    settings = Settings.from_env(os.environ if env is None else env)
    return auth_from_settings(settings) or SigV4Auth(region=settings.aws_region)


def _body(body: Any) -> Body:
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    if hasattr(body, "read") and hasattr(body, "seek"):
        return cast(IO[bytes], body)
    raise TypeError(f"cannot sign a request body of type {type(body).__name__}; send bytes or a file")


class RequestsAuth(AuthBase):
    """Applies a trackway `Auth` to a `requests` request, after making its query string canonical."""

    def __init__(self, auth: Auth):
        self.auth = auth

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        url = canonical_url(str(request.url))
        request.url = url
        request.headers.update(self.auth.headers(str(request.method), url, _body(request.body)))
        return request


_AUTH_ENV = (
    "TRACKWAY_AWS_SIGV4",
    "MLFLOW_TRACKING_AWS_SIGV4",
    "TRACKWAY_AWS_REGION",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "TRACKWAY_TRACKING_USERNAME",
    "MLFLOW_TRACKING_USERNAME",
    "TRACKWAY_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_PASSWORD",
    "TRACKWAY_TRACKING_TOKEN",
    "MLFLOW_TRACKING_TOKEN",
)


class TrackwayAuthProvider(RequestAuthProvider):
    """Found through the entry point `mlflow.request_auth_provider: trackway`.

    mlflow asks for the auth on every request; the signer (and botocore's credential chain behind it) is
    built once per configuration and reused, and botocore refreshes rotating credentials itself.
    """

    def __init__(self) -> None:
        self._cached: tuple[tuple[str | None, ...], RequestsAuth] | None = None

    def get_name(self) -> str:
        return PROVIDER_NAME

    def get_auth(self) -> RequestsAuth:
        key = tuple(os.environ.get(name) for name in _AUTH_ENV)
        if self._cached is None or self._cached[0] != key:
            self._cached = (key, RequestsAuth(plugin_auth()))
        return self._cached[1]
