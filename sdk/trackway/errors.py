"""The SDK's exceptions. Every one carries what a caller branches on, never only a message."""

from __future__ import annotations

# The server is up but asks the client to come back: a write conflict it could not settle (409), a throttle
# (429) or shed load (503). Retried with backoff (honouring Retry-After), never a reason to split a batch.
CONTENTION_STATUSES = frozenset({409, 429, 503})
RETRYABLE_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


class TrackwayError(Exception):
    """Base class of every error the SDK raises."""


class ConfigurationError(TrackwayError):
    """The SDK is not configured well enough to do what was asked (no tracking URI, missing extra...)."""


class UnreachableError(TrackwayError):
    """The tracking API could not be reached (connection refused, DNS, timeout) after retries."""


class RestError(TrackwayError):
    """The API answered with an error: the HTTP status and MLflow's `error_code`.

    `error_code` comes from the JSON body (`{"error_code", "message"}`); when the body is not JSON it is
    derived from the status the same way the mlflow client does it.
    """

    _BY_STATUS = {
        400: "BAD_REQUEST",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "ENDPOINT_NOT_FOUND",
        500: "INTERNAL_ERROR",
    }

    def __init__(self, status: int, error_code: str | None, message: str, *, method: str = "", path: str = ""):
        self.status = status
        self.error_code = error_code or self._BY_STATUS.get(status, "INTERNAL_ERROR")
        self.message = message
        self.method = method
        self.path = path
        super().__init__(f"{method} {path} -> {status} {self.error_code}: {message}".strip())

    @property
    def retryable(self) -> bool:
        """True for 408/409/429/5xx (except 501): the same request may succeed later."""
        return self.status in RETRYABLE_STATUSES

    @property
    def contention(self) -> bool:
        """True for 409/429/503: the server is up and asks for the same request again, later."""
        return self.status in CONTENTION_STATUSES

    @property
    def is_auth(self) -> bool:
        return self.status in (401, 403)


class PresignedURLError(TrackwayError):
    """A presigned S3 URL was refused (typically expired or signed for another request)."""

    def __init__(self, status: int, url: str, body: str):
        self.status = status
        self.url = url.split("?", 1)[0]
        super().__init__(f"presigned request to {self.url} failed with {status}: {body[:300]}")

    @property
    def retryable(self) -> bool:
        """True for 408/429/5xx: the store may accept the same request later."""
        return self.status in RETRYABLE_STATUSES or self.status >= 500
