"""The dependency layer bundling, exercised without the network: pip is never actually run here."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import DockerImage

from trackway_infra.bundling import SKIPPED_MARKER, LocalPipBundling, pip_arguments, project_dependencies

IMAGE = DockerImage.from_registry("unused")


def test_layer_ships_the_project_dependencies() -> None:
    dependencies = project_dependencies()
    assert any(d.startswith("aws-lambda-powertools") for d in dependencies)
    assert any(d.startswith("pynamodb") for d in dependencies)


def test_pip_resolves_arm64_wheels_for_the_lambda_python() -> None:
    args = pip_arguments(("pynamodb>=6",), "3.14", "/out/python")
    assert args[args.index("--platform") + 1] == "manylinux2014_aarch64"
    assert args[args.index("--python-version") + 1] == "3.14"
    assert "--only-binary=:all:" in args
    assert args[-1] == "pynamodb>=6"


def test_skip_writes_a_marker_and_never_runs_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", _forbidden)
    assert LocalPipBundling(("x",), "3.14", skip=True).try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "python" / SKIPPED_MARKER).exists()


def test_failed_local_pip_hands_over_to_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def failing(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 1, "", "no network")

    monkeypatch.setattr(subprocess, "run", failing)
    assert LocalPipBundling(("x",), "3.14", skip=False).try_bundle(str(tmp_path), image=IMAGE) is False
    assert calls and calls[0][1:4] == ["-m", "pip", "install"]


def _forbidden(*_: Any, **__: Any) -> None:
    raise AssertionError("pip must not run when bundling is skipped")
