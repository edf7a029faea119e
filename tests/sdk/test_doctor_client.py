"""`trackway doctor`, client side: the mlflow version, whether the plugin is active, large-upload warnings."""

from __future__ import annotations

from importlib import metadata

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.cli.doctor_client import client_findings, mlflow_version, plugin_problems
from trackway.cli.main import main

MISSING = ["entry point mlflow.artifact_repository:mlflow-artifacts is not registered"]


def levels(findings: list[object]) -> dict[str, str]:
    return {f.name: f.level for f in findings}  # type: ignore[attr-defined]


def test_an_old_client_without_the_plugin_or_the_variables_is_warned() -> None:
    findings = client_findings("3.17.2", MISSING, env={})
    assert levels(findings) == {"mlflow_client": "ok", "mlflow_plugin": "warn", "large_uploads": "warn"}
    large = findings[-1].detail
    assert "pip install 'trackway[mlflow]'" in large and "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true" in large


@pytest.mark.parametrize(
    ("version", "problems", "env"),
    [
        ("3.17.2", [], {}),  # the plugin
        ("3.18.0", MISSING, {}),  # a client that reads artifacts_presigned_only
        (
            "3.17.2",
            MISSING,
            {"MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": "5242880"},
        ),
    ],
)
def test_large_uploads_are_fine_with_any_of_the_three_fixes(
    version: str, problems: list[str], env: dict[str, str]
) -> None:
    assert levels(client_findings(version, problems, env))["large_uploads"] == "ok"


def test_a_threshold_above_the_proxied_limit_is_not_a_fix() -> None:
    env = {"MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": "104857600"}
    assert levels(client_findings("3.17.2", MISSING, env))["large_uploads"] == "warn"


def test_no_mlflow_is_only_information_and_mlflows_sigv4_is_a_warning() -> None:
    assert levels(client_findings(None, [], {})) == {"mlflow_client": "info"}
    assert levels(client_findings("3.17.2", [], {"MLFLOW_TRACKING_AWS_SIGV4": "true"}))["mlflow_sigv4"] == "warn"


def test_the_installed_plugin_is_active_and_missing_entry_points_are_named() -> None:
    assert mlflow_version() == "3.17.2"
    assert plugin_problems() == []
    assert plugin_problems(lambda group: metadata.EntryPoints(())) == [
        "entry point mlflow.artifact_repository:mlflow-artifacts is not registered",
        "entry point mlflow.request_auth_provider:trackway is not registered",
    ]


def test_doctor_prints_the_client_section(fake: FakeMlflow, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tracking-uri", fake.url, "doctor"]) == 0
    out = capsys.readouterr().out
    assert "=== mlflow client (this machine) ===" in out
    assert "mlflow_client: mlflow 3.17.2" in out and "mlflow_plugin: active" in out
