"""Domain errors and their HTTP status. handlers/http.py turns them into responses, and nothing else does."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
    BAD_REQUEST = "BAD_REQUEST"
    RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
    RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
    ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RESOURCE_CONFLICT = "RESOURCE_CONFLICT"
    RESOURCE_EXHAUSTED = "RESOURCE_EXHAUSTED"
    REQUEST_LIMIT_EXCEEDED = "REQUEST_LIMIT_EXCEEDED"
    RESOURCE_LIMIT_EXCEEDED = "RESOURCE_LIMIT_EXCEEDED"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_PARAMETER_VALUE: 400,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.RESOURCE_ALREADY_EXISTS: 400,
    ErrorCode.RESOURCE_DOES_NOT_EXIST: 404,
    ErrorCode.ENDPOINT_NOT_FOUND: 404,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.RESOURCE_CONFLICT: 409,
    ErrorCode.RESOURCE_EXHAUSTED: 429,
    ErrorCode.REQUEST_LIMIT_EXCEEDED: 429,
    ErrorCode.RESOURCE_LIMIT_EXCEEDED: 413,
    ErrorCode.NOT_IMPLEMENTED: 501,
    ErrorCode.TEMPORARILY_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}


class TrackwayError(Exception):
    """Base of every error the API reports to a client."""

    code: ErrorCode = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after  # seconds; sent as the Retry-After header when set

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.code]


class InvalidParameter(TrackwayError):
    code = ErrorCode.INVALID_PARAMETER_VALUE


class BadRequest(TrackwayError):
    code = ErrorCode.BAD_REQUEST


class AlreadyExists(TrackwayError):
    code = ErrorCode.RESOURCE_ALREADY_EXISTS


class NotFound(TrackwayError):
    code = ErrorCode.RESOURCE_DOES_NOT_EXIST


class EndpointNotFound(TrackwayError):
    code = ErrorCode.ENDPOINT_NOT_FOUND


class PermissionDenied(TrackwayError):
    code = ErrorCode.PERMISSION_DENIED


class Unauthenticated(TrackwayError):
    """No principal vouched for the request (no or an unknown token): 401."""

    code = ErrorCode.UNAUTHENTICATED


class Conflict(TrackwayError):
    """A concurrent writer won. The stores resolve this themselves (concurrency.py); a client sees it
    only for a conflict it caused, never for a race the server could resolve."""

    code = ErrorCode.RESOURCE_CONFLICT


class LimitExceeded(TrackwayError):
    code = ErrorCode.RESOURCE_EXHAUSTED


class Throttled(TrackwayError):
    """The storage throttled a request; retried under the concurrency policy before a client sees it."""

    code = ErrorCode.REQUEST_LIMIT_EXCEEDED


class PayloadTooLarge(TrackwayError):
    """A request body over what the API accepts (API Gateway and Lambda cap bodies at 10 MB / 6 MB)."""

    code = ErrorCode.RESOURCE_LIMIT_EXCEEDED


class NotImplementedByServer(TrackwayError):
    code = ErrorCode.NOT_IMPLEMENTED


class Unavailable(TrackwayError):
    """The service sheds load or a dependency is down: 503, and the client retries after `retry_after`."""

    code = ErrorCode.TEMPORARILY_UNAVAILABLE

    def __init__(self, message: str, retry_after: int | None = 1) -> None:
        super().__init__(message, retry_after)


class InternalError(TrackwayError):
    code = ErrorCode.INTERNAL_ERROR
