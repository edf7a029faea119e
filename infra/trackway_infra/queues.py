"""Dead-letter queues: encrypted, TLS-only, 14 days to inspect and redrive."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from trackway_infra.nag import suppress

# SQS's maximum. The outbox keeps a published item at least this long (the backend's PUBLISHED_RETENTION),
# so a pointer read from the publisher's queue always finds its item; tests/infra asserts the two agree.
DEAD_LETTER_RETENTION_DAYS = 14


def dead_letter_queue(scope: Construct, construct_id: str, removal_policy: RemovalPolicy) -> sqs.Queue:
    queue = sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=Duration.days(DEAD_LETTER_RETENTION_DAYS),
        removal_policy=removal_policy,
    )
    suppress(queue, "AwsSolutions-SQS3", "This queue is itself a dead-letter queue; it has nowhere further to go")
    suppress(queue, "Serverless-SQSRedrivePolicy", "This queue is itself a dead-letter queue (the end of redrive)")
    return queue
