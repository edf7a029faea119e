"""Creating the artifact bucket where no stack does (the local stack; the CDK stack owns it in AWS)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from trackway_backend.adapters.s3.client import s3_client
from trackway_backend.settings import ArtifactSettings


def create_missing_bucket(settings: ArtifactSettings) -> None:
    client = s3_client(settings.region, settings.s3_endpoint)
    try:
        client.head_bucket(Bucket=settings.artifact_bucket)
    except ClientError:
        client.create_bucket(Bucket=settings.artifact_bucket)
