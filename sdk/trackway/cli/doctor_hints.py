"""What to try when a doctor check fails, by check and by kind of error (never by message text)."""

from __future__ import annotations

from trackway.config import Settings
from trackway.errors import PresignedURLError, RestError, UnreachableError


def _api_hint(exc: Exception, settings: Settings) -> str:
    if isinstance(exc, UnreachableError):
        return (
            "cannot connect: check the URL (including the stage, e.g. …/prod), VPN/proxy settings, or "
            "that `trackway local` is running"
        )
    if isinstance(exc, RestError) and exc.status == 401:
        if settings.sigv4:
            return "SigV4 was rejected: check AWS credentials (aws sts get-caller-identity) and AWS_REGION"
        return "the API wants credentials: set TRACKWAY_TRACKING_TOKEN, or TRACKWAY_AWS_SIGV4=1 for IAM auth"
    if isinstance(exc, RestError) and exc.status == 403:
        if settings.sigv4:
            return (
                "signed but denied: the IAM principal needs execute-api:Invoke on this API and stage; a "
                "wrong region also gives 403"
            )
        return "authenticated but not allowed: the token's user needs EDIT on the experiment"
    if isinstance(exc, RestError) and exc.status == 501:
        return "the server's artifact store does not support presigned transfers (NOT_IMPLEMENTED)"
    if isinstance(exc, RestError) and exc.status >= 500:
        return "server-side failure: check the API's logs (CloudWatch, or the local stack's console)"
    return ""


def _s3_hint(name: str, exc: Exception) -> str:
    if isinstance(exc, UnreachableError):
        return (
            "the presigned URL's host is unreachable from this machine: check the bucket's endpoint, VPC "
            "endpoint/proxy rules, or that the local stack's S3 emulator is reachable"
        )
    if isinstance(exc, PresignedURLError) and exc.status == 403:
        verb = "s3:PutObject" if name == "write_access" else "s3:GetObject"
        return (
            f"S3 refused the presigned URL: the server's role needs {verb} on the bucket (and "
            "kms:GenerateDataKey/kms:Decrypt for SSE-KMS); URLs signed with short-lived credentials "
            "die early; check the machine's clock"
        )
    if isinstance(exc, PresignedURLError) and exc.status == 404:
        return "the bucket or upload does not exist: check the server's bucket setting"
    if isinstance(exc, AssertionError):
        return "the store returned different bytes: a proxy or the store rewrote the object"
    return ""


def hint_for(check: str, exc: Exception, settings: Settings) -> str:
    """A one-line hint for a failed check."""
    if check in ("write_access", "read_access"):
        return _s3_hint(check, exc) or _api_hint(exc, settings)
    if check == "list_objects" and isinstance(exc, AssertionError):
        return "the object was not listed after complete: check the server's listing of the artifact root"
    return _api_hint(exc, settings)
