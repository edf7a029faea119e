#!/usr/bin/env python3
"""`cdk synth|deploy` entry point: one stack, configured from `trackway:*` context (see README.md)."""

from __future__ import annotations

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from trackway_infra import TrackwayProps, TrackwayStack
from trackway_infra.constants import STACK_ID


def main() -> None:
    app = cdk.App()
    TrackwayStack(app, STACK_ID, props=TrackwayProps.from_context(app.node))
    # cdk-nag runs on every synth: an unsuppressed finding fails `cdk synth` and `cdk deploy`.
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    cdk.Aspects.of(app).add(ServerlessChecks())
    app.synth()


if __name__ == "__main__":
    main()
