from __future__ import annotations

import json

import pytest

from tests.infra.synth import Synth

cfnlint_api = pytest.importorskip("cfnlint.api")

# W3005 flags the DependsOn that aws-cdk-lib's Function always adds on its role next to the role's
# GetAtt; the explicit dependency is what also orders the role's DefaultPolicy before the function.
IGNORED = ["W3005"]


def test_template_is_cfn_lint_clean(each: Synth) -> None:
    config = cfnlint_api.ManualArgs(regions=["us-east-1", "eu-west-1"], ignore_checks=IGNORED)
    matches = cfnlint_api.lint(json.dumps(each.json), config=config)
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
