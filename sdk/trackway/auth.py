"""Request authentication: bearer token, basic auth, or AWS SigV4 for API Gateway IAM auth.

SigV4 needs botocore, which only the `aws` extra installs; it is imported when a signer is built, so a
plain `pip install trackway` never pays for it.
"""

from __future__ import annotations

import base64
from typing import IO, Any, Protocol

from trackway.config import Settings
from trackway.errors import ConfigurationError

Body = bytes | IO[bytes] | None
"""What a request carries: bytes, a seekable stream (a file being uploaded), or nothing."""


class Auth(Protocol):
    """Adds authentication headers to one request, given exactly the bytes that will be sent."""

    def headers(self, method: str, url: str, body: Body) -> dict[str, str]: ...


class BearerAuth:
    """`Authorization: Bearer <token>` (TRACKWAY_TRACKING_TOKEN / MLFLOW_TRACKING_TOKEN)."""

    def __init__(self, token: str):
        self._value = f"Bearer {token}"

    def headers(self, method: str, url: str, body: Body) -> dict[str, str]:
        return {"Authorization": self._value}


class BasicAuth:
    """`Authorization: Basic …` (MLflow's basic-auth app)."""

    def __init__(self, username: str, password: str):
        self._value = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()

    def headers(self, method: str, url: str, body: Body) -> dict[str, str]:
        return {"Authorization": self._value}


class SigV4Auth:
    """AWS Signature V4 over the exact URL and body, for API Gateway IAM auth (service `execute-api`).

    The URL must come from `trackway.query.build_url`, whose query string is already canonical, so
    botocore's canonical request is the one API Gateway rebuilds (repeated keys kept, spaces as `%20`).
    Credentials come from botocore's default chain and are re-read for every request (they rotate).
    """

    def __init__(self, region: str | None = None, service: str = "execute-api", credentials: Any = None):
        try:
            from botocore.auth import SigV4Auth as _BotoSigV4
            from botocore.awsrequest import AWSRequest
            from botocore.session import Session
        except ImportError as exc:
            raise ConfigurationError("SigV4 signing needs botocore: pip install 'trackway[aws]'") from exc
        session = Session()
        self._signer_cls = _BotoSigV4
        self._request_cls = AWSRequest
        self._credentials = credentials if credentials is not None else session.get_credentials()
        self._region = region or session.get_config_variable("region")
        self._service = service
        if self._credentials is None:
            raise ConfigurationError("SigV4 signing is on but botocore found no AWS credentials")
        if not self._region:
            raise ConfigurationError("SigV4 signing needs a region: set AWS_REGION or AWS_DEFAULT_REGION")

    def signed_request(self, method: str, url: str, body: Body) -> Any:
        """The botocore AWSRequest after signing (exposed for tests and debugging).

        A seekable stream body is hashed in chunks and rewound, so a file upload is not read into memory.
        """
        frozen: Any = getattr(self._credentials, "get_frozen_credentials", lambda: self._credentials)()
        request = self._request_cls(method=method.upper(), url=url, data=body or b"")
        self._signer_cls(frozen, self._service, self._region).add_auth(request)
        return request

    def headers(self, method: str, url: str, body: Body) -> dict[str, str]:
        request = self.signed_request(method, url, body)
        wanted = ("Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256")
        return {name: request.headers[name] for name in wanted if name in request.headers}


def auth_from_settings(settings: Settings) -> Auth | None:
    """SigV4 if enabled; else basic auth if username and password are set (mlflow's order); else bearer."""
    if settings.sigv4:
        return SigV4Auth(region=settings.aws_region)
    if settings.username and settings.password:
        return BasicAuth(settings.username, settings.password)
    if settings.token:
        return BearerAuth(settings.token)
    return None
