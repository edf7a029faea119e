"""The dependency layer: the project's runtime dependencies as arm64 wheels, built with pip, no Docker.

pip resolves wheels for the Lambda platform (`manylinux2014_aarch64`, the runtime's CPython) whatever
the host is, so a laptop or CI runner builds the layer without Docker. If local pip fails (no network, an
sdist-only package), CDK falls back to Docker bundling with the same pip command. `trackway:skipBundling`
replaces the layer content with a marker file so tests and offline `cdk synth` never touch the network.
"""

from __future__ import annotations

import hashlib
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_

from trackway_infra.constants import FUNCTIONS_DIR, PYPROJECT

PLATFORM = "manylinux2014_aarch64"
SKIPPED_MARKER = "TRACKWAY_BUNDLING_SKIPPED"


def project_dependencies(pyproject: Path = PYPROJECT) -> tuple[str, ...]:
    """`[project].dependencies` from pyproject.toml: the layer ships exactly what the tests run against."""
    with pyproject.open("rb") as file:
        return tuple(tomllib.load(file)["project"]["dependencies"])


def pip_arguments(requirements: tuple[str, ...], python_version: str, target: str) -> list[str]:
    return [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--platform",
        PLATFORM,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        "--upgrade",
        "--target",
        target,
        *requirements,
    ]


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    def __init__(self, requirements: tuple[str, ...], python_version: str, skip: bool) -> None:
        self._requirements = requirements
        self._python_version = python_version
        self._skip = skip

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        target = Path(output_dir) / "python"
        target.mkdir(parents=True, exist_ok=True)
        if self._skip:
            (target / SKIPPED_MARKER).write_text("dependency bundling skipped (trackway:skipBundling)\n")
            return True
        command = [
            sys.executable,
            "-m",
            "pip",
            *pip_arguments(self._requirements, self._python_version, str(target)),
        ]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            print(f"trackway: local pip bundling failed, trying Docker:\n{result.stderr}", file=sys.stderr)
            return False
        return True


def dependency_layer_code(runtime: lambda_.Runtime, python_version: str, skip: bool) -> lambda_.Code:
    requirements = project_dependencies()
    # A custom hash skips re-bundling when the requirements have not changed.
    fingerprint = "|".join((*requirements, python_version, PLATFORM, "skip" if skip else "full"))
    docker_pip = shlex.join(["pip", *pip_arguments(requirements, python_version, "/asset-output/python")])
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            command=["bash", "-c", docker_pip],
            local=LocalPipBundling(requirements, python_version, skip),
        ),
    )
