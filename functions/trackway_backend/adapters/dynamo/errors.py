"""pynamodb/botocore errors translated to domain errors at the adapter boundary."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from trackway_backend.errors import Conflict, InternalError, InvalidParameter, Throttled, TrackwayError

_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TransactionConflictException",
}


def is_condition_failure(exc: PynamoDBException) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException" or bool(failed_conditions(exc))


def failed_conditions(exc: PynamoDBException) -> set[int]:
    """The positions, in a cancelled transaction, of the items whose condition failed."""
    return _cancelled(exc, "ConditionalCheckFailed")


def _cancelled(exc: PynamoDBException, code: str) -> set[int]:
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return {index for index, reason in enumerate(reasons) if reason is not None and reason.code == code}


@contextmanager
def translated(conflict: type[TrackwayError] = Conflict, message: str = "Concurrent update") -> Iterator[None]:
    """Map a failed condition to `conflict(message)`, throttling and transaction conflicts to `Throttled`
    (retried under the concurrency policy) and anything else to 500."""
    try:
        yield
    except DoesNotExist:
        raise
    except PynamoDBException as exc:
        if _cancelled(exc, "TransactionConflict"):
            raise Throttled("A concurrent transaction holds the item; retry with backoff") from exc
        if is_condition_failure(exc):
            raise conflict(message) from exc
        if exc.cause_response_code == "ValidationException" and "size" in (exc.cause_response_message or ""):
            raise InvalidParameter(
                "The change would make the stored record exceed DynamoDB's 400 KB item limit "
                "(too many or too long params, tags or metric keys on one entity)"
            ) from exc
        if exc.cause_response_code in _THROTTLED:
            raise Throttled("DynamoDB is throttling requests; retry with backoff") from exc
        raise InternalError(f"Storage error: {exc.cause_response_code or type(exc).__name__}") from exc
