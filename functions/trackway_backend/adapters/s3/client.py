"""One S3 client per container, built from settings alone."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, cast

import botocore.session
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@lru_cache(maxsize=4)
def s3_client(region: str, endpoint: str | None) -> S3Client:
    """SigV4 always (presigned URLs included); path-style addressing when an endpoint is configured, as
    local emulators serve one host. Checksums only where S3 requires them: the newer defaults add
    headers that presigned-URL clients would have to send and that emulators do not understand."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    # botocore, not boto3: the same client (presigning included) without boto3's import cost at cold start.
    session = botocore.session.get_session()
    return cast("S3Client", session.create_client("s3", region_name=region, endpoint_url=endpoint, config=config))
