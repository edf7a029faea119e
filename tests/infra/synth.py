"""Synthesizes the stack for one configuration, with cdk-nag on; helpers to find resources in the template.

Dependency bundling is skipped (`trackway:skipBundling`), so nothing here touches the network, Docker or AWS.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks, ServerlessChecks

from trackway_infra import TrackwayProps, TrackwayStack
from trackway_infra.constants import REPO_ROOT, SKIP_BUNDLING_CONTEXT, STACK_ID

INFRA = REPO_ROOT / "infra"

KMS_KEY_ARN = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
JWT_ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_example"
JWT_AUDIENCE = ("mlflow-client", "trackway-sdk")
SAGEMAKER_IMAGE = "444455556666.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2"
# Every option switched away from its default, so each branch of each construct is synthesized once.
ALL_OPTIONS: Mapping[str, Any] = {
    "trackway:removalPolicy": "destroy",
    "trackway:authMode": "jwt",
    "trackway:jwtIssuer": JWT_ISSUER,
    "trackway:jwtAudience": ",".join(JWT_AUDIENCE),
    "trackway:servingTarget": "sagemaker",
    "trackway:sagemakerImageUri": SAGEMAKER_IMAGE,
    "trackway:sagemakerInstanceType": "ml.c6i.large",
    "trackway:sagemakerInstanceCount": "2",
    "trackway:kmsKeyArn": KMS_KEY_ARN,
    "trackway:alarmEmail": "ml-platform@example.com",
    "trackway:logRetentionDays": "90",
    "trackway:throttleRateLimit": "50",
}
# The serverless target with the serving function as a zip plus its own pip-built layer (no Docker).
LAYER_OPTIONS: Mapping[str, Any] = {"trackway:servingPackaging": "layer"}


@dataclass(frozen=True)
class Synth:
    stack: TrackwayStack
    template: Template
    seconds: float
    outdir: Path
    json: dict[str, Any] = field(repr=False)

    @property
    def assets(self) -> dict[str, Any]:
        """The cloud assembly's asset manifest: file assets and Docker image assets with their build."""
        return json.loads((self.outdir / f"{STACK_ID}.assets.json").read_text())  # type: ignore[no-any-return]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.json["Resources"].items() if v["Type"] == resource_type}

    def by_path(self, path: str) -> tuple[str, dict[str, Any]]:
        """The resource whose construct path is `Trackway/Backend/<path>/Resource` (or exactly `path`)."""
        wanted = {f"{STACK_ID}/Backend/{path}/Resource", f"{STACK_ID}/Backend/{path}"}
        for logical_id, resource in self.json["Resources"].items():
            if resource.get("Metadata", {}).get("aws:cdk:path") in wanted:
                return logical_id, resource
        raise KeyError(path)

    def logical_id(self, path: str) -> str:
        return self.by_path(path)[0]


def synthesize(outdir: Path, overrides: Mapping[str, Any]) -> Synth:
    started = time.perf_counter()
    context = json.loads((INFRA / "cdk.json").read_text())["context"]
    context |= {SKIP_BUNDLING_CONTEXT: True, "aws:cdk:enable-path-metadata": True, **overrides}
    app = cdk.App(context=context, outdir=str(outdir))
    stack = TrackwayStack(app, STACK_ID, props=TrackwayProps.from_context(app.node))
    cdk.Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    cdk.Aspects.of(app).add(ServerlessChecks(verbose=True))
    app.synth()
    template = Template.from_stack(stack)
    return Synth(stack, template, time.perf_counter() - started, outdir, dict(template.to_json()))
