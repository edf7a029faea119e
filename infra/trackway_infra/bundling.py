"""How the functions' dependencies are packaged: pip-built layers (no Docker), and the serving image.

Layers: pip resolves wheels for the Lambda platform (arm64 manylinux wheels up to the runtime's glibc, for
the runtime's CPython) whatever the host is, so a laptop or CI runner builds them without Docker. If local
pip fails (no network, an sdist-only package), CDK falls back to Docker bundling with the same pip command.
Either way the layer is pruned (package test suites) and checked against Lambda's unzipped size limit, so
a layer that cannot deploy fails `cdk synth` with its measured size instead of `cdk deploy` minutes later.
`trackway:skipBundling` replaces the layer content with a marker file so tests and offline `cdk synth`
never touch the network.

The serving image (`infra/serving_image/Dockerfile`) installs the same requirements with the same pip
arguments in a build-platform stage, so it needs no arm64 emulation either; Docker builds it at deploy.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, IgnoreMode, ILocalBundling
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_lambda as lambda_

from trackway_infra.constants import (
    FUNCTIONS_DIR,
    PYPROJECT,
    REPO_ROOT,
    SERVING_DOCKERFILE,
    SERVING_EXTRA,
)

# Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34). pip takes platform tags literally
# (`manylinux2014` does not imply `manylinux_2_28`), so every glibc the runtime satisfies is listed:
# numpy, pandas and scipy publish their arm64 wheels as manylinux_2_27/2_28 only.
GLIBC_MINORS: Final = range(34, 16, -1)
PLATFORMS: Final = (*(f"manylinux_2_{minor}_aarch64" for minor in GLIBC_MINORS), "manylinux2014_aarch64")
SKIPPED_MARKER: Final = "TRACKWAY_BUNDLING_SKIPPED"
# "Unzipped size must be smaller than 262144000 bytes": function code plus all of its layers.
LAMBDA_UNZIPPED_LIMIT: Final = 262_144_000
# Directories no code imports at run time: the packages' own test suites (pandas, scipy, sklearn, numpy...).
PRUNED_DIRECTORIES: Final = ("tests",)
# What the function code asset leaves out of functions/: local caches, stale bytecode, egg-info, dotfiles.
CODE_EXCLUDES: Final = ("__pycache__", "*.pyc", "*.egg-info", ".*")
CODE_BYTECODE_FACTOR: Final = 2


def project_dependencies(pyproject: Path = PYPROJECT) -> tuple[str, ...]:
    """`[project].dependencies`: every function's runtime dependencies, exactly what the tests run against."""
    with pyproject.open("rb") as file:
        return tuple(tomllib.load(file)["project"]["dependencies"])


def serving_dependencies(pyproject: Path = PYPROJECT) -> tuple[str, ...]:
    """The project's dependencies plus the `serving` extra (mlflow-skinny, pandas, scikit-learn, skops),
    resolved together so the serving function never mixes two versions of a shared package."""
    with pyproject.open("rb") as file:
        extra = tomllib.load(file)["project"]["optional-dependencies"][SERVING_EXTRA]
    return (*project_dependencies(pyproject), *extra)


def pip_arguments(requirements: Iterable[str], python_version: str, target: str) -> list[str]:
    return [
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        *(argument for platform in PLATFORMS for argument in ("--platform", platform)),
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


def bytecode_command(python_version: str) -> list[str] | None:
    """compileall with an interpreter of the runtime's Python version, or None when this machine has none.

    Lambda's /opt is read-only, so a layer without bytecode compiles every module it imports on every cold
    start: the tracking handler's imports took about three times as long (median of 5 here, with Python's
    bytecode cache pointed at an unwritable directory). Bytecode is version-specific, hence an interpreter
    of that version; `unchecked-hash` keeps it valid whatever timestamps the zip gives the sources.
    """
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python_version:
        interpreter: str | None = sys.executable
    else:
        interpreter = shutil.which(f"python{python_version}")
    if interpreter is None:
        return None
    return [interpreter, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash"]


def compile_bytecode(target: Path, python_version: str, what: str) -> subprocess.CompletedProcess[str] | None:
    """compileall over `target` (see bytecode_command); None, with a warning, when this machine has no
    interpreter of the runtime's Python and `what` ships as source."""
    command = bytecode_command(python_version)
    if command is None:
        print(
            f"trackway: no python{python_version} on this machine, so {what} ships without bytecode and every "
            "cold start compiles it; install that Python to compile it",
            file=sys.stderr,
        )
        return None
    return subprocess.run([*command, str(target)], capture_output=True, text=True, check=False)


def prune(directory: Path) -> None:
    for root, dirs, _ in os.walk(directory):
        for name in [d for d in dirs if d in PRUNED_DIRECTORIES]:
            shutil.rmtree(Path(root, name))
            dirs.remove(name)


def tree_bytes(directory: Path, *, code: bool = False) -> int:
    """Bytes of the regular files under `directory`: what Lambda counts unzipped. With `code`, what the
    function code asset leaves out (caches, bytecode, egg-info, dotfiles) is not counted."""
    total = 0
    for root, dirs, files in os.walk(directory):
        names = files
        if code:
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".") and not d.endswith(".egg-info")]
            names = [f for f in files if not f.endswith(".pyc") and not f.startswith(".")]
        for name in names:
            path = Path(root, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def code_bytes() -> int:
    """The functions' own code, which shares the unzipped limit with the function's layers: its source, and
    the bytecode the code asset ships with it (about 1.8 times the source, measured; counted as twice)."""
    return tree_bytes(FUNCTIONS_DIR, code=True) * (1 + CODE_BYTECODE_FACTOR)


class LayerTooLargeError(RuntimeError):
    pass


def check_size(layer_bytes: int, name: str, budget: int) -> None:
    if layer_bytes > budget:
        raise LayerTooLargeError(
            f"trackway: the {name} layer is {layer_bytes / 1e6:.1f} MB unzipped (after pruning), over its "
            f"{budget / 1e6:.1f} MB budget (Lambda's {LAMBDA_UNZIPPED_LIMIT:,} byte limit for code plus "
            "layers, minus the function code). Use the container image (trackway:servingPackaging=image), "
            "or trim the requirements."
        )


@jsii.implements(ILocalBundling)
class LocalPipBundling:
    def __init__(
        self, name: str, requirements: tuple[str, ...], python_version: str, skip: bool, *, bytecode: bool = False
    ) -> None:
        self._name = name
        self._requirements = requirements
        self._python_version = python_version
        self._skip = skip
        self._bytecode = bytecode

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
        prune(target)
        if self._bytecode:
            self._compile(target)
        # Raised, not a fallback to Docker: Docker would build the same oversized layer.
        check_size(tree_bytes(Path(output_dir)), self._name, LAMBDA_UNZIPPED_LIMIT - code_bytes())
        return True

    def _compile(self, target: Path) -> None:
        result = compile_bytecode(target, self._python_version, f"the {self._name} layer")
        if result is not None and result.returncode != 0:  # a stray Python 2 script, say: left as source
            print(
                f"trackway: some modules of the {self._name} layer did not compile:\n{result.stdout}", file=sys.stderr
            )


def copy_code(source: Path, target: Path) -> None:
    """The function code as the asset ships it: `source` without what CODE_EXCLUDES names."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*CODE_EXCLUDES), dirs_exist_ok=True)


@jsii.implements(ILocalBundling)
class LocalCodeBundling:
    """The functions' own code, compiled like the dependency layer: Lambda's /var/task is read-only too, so
    code shipped as source is compiled again on every cold start (docs/adr/014-cold-start.md)."""

    def __init__(self, python_version: str, skip: bool) -> None:
        self._python_version = python_version
        self._skip = skip

    def try_bundle(self, output_dir: str, *, image: DockerImage, **_options: Any) -> bool:
        copy_code(FUNCTIONS_DIR, Path(output_dir))
        if self._skip:
            return True
        result = compile_bytecode(Path(output_dir), self._python_version, "the function code")
        if result is None:
            return True
        if result.returncode != 0:  # our own code always compiles: the unit tests import every module
            raise RuntimeError(f"trackway: the function code did not compile:\n{result.stdout}")
        return True


def function_code(runtime: lambda_.Runtime, python_version: str, skip: bool) -> lambda_.Code:
    """The function code asset: functions/ without caches, with bytecode for the runtime's Python (not with
    `trackway:skipBundling`, which tests and offline synths use)."""
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        exclude=[f"**/{pattern}" for pattern in CODE_EXCLUDES],
        # The image is never run: the local bundling always succeeds (as source, with a warning, when this
        # machine has no interpreter of the runtime's Python, as the dependency layer does).
        bundling=BundlingOptions(image=runtime.bundling_image, local=LocalCodeBundling(python_version, skip)),
    )


def docker_command(requirements: tuple[str, ...], python_version: str, budget: int, *, bytecode: bool = False) -> str:
    """The same pip install, prune, bytecode and size check, for CDK's Docker fallback (whose `python` is the
    runtime's)."""
    pip = shlex.join(["pip", *pip_arguments(requirements, python_version, "/asset-output/python")])
    prune_command = " ".join(
        f"find /asset-output/python -depth -type d -name {shlex.quote(d)} -exec rm -rf {{}} +;"
        for d in PRUNED_DIRECTORIES
    )
    check = (
        f'size=$(du -sb /asset-output | cut -f1); if [ "$size" -gt {budget} ]; then '
        f'echo "trackway: layer is $size bytes unzipped, over its {budget} byte budget" >&2; exit 1; fi'
    )
    compile_command = (
        "python -m compileall -q -j 0 --invalidation-mode unchecked-hash /asset-output/python; " if bytecode else ""
    )
    return f"{pip} && {{ {prune_command} {compile_command}}} && {check}"


def layer_code(
    name: str,
    requirements: tuple[str, ...],
    runtime: lambda_.Runtime,
    python_version: str,
    skip: bool,
    *,
    bytecode: bool = False,
) -> lambda_.Code:
    # A custom hash skips re-bundling when the requirements have not changed.
    fingerprint = "|".join(
        (*requirements, python_version, *PLATFORMS, *PRUNED_DIRECTORIES, "skip" if skip else "full", f"pyc={bytecode}")
    )
    budget = LAMBDA_UNZIPPED_LIMIT - code_bytes()
    return lambda_.Code.from_asset(
        str(FUNCTIONS_DIR),
        asset_hash_type=AssetHashType.CUSTOM,
        asset_hash=hashlib.sha256(fingerprint.encode()).hexdigest(),
        bundling=BundlingOptions(
            image=runtime.bundling_image,
            command=["bash", "-c", docker_command(requirements, python_version, budget, bytecode=bytecode)],
            local=LocalPipBundling(name, requirements, python_version, skip, bytecode=bytecode),
        ),
    )


def image_build_args(requirements: tuple[str, ...], python_version: str) -> dict[str, str]:
    return {
        "REQUIREMENTS": json.dumps(list(requirements)),
        "PYTHON_VERSION": python_version,
        "PIP_PLATFORMS": " ".join(PLATFORMS),
        "PRUNED_DIRECTORIES": " ".join(PRUNED_DIRECTORIES),
    }


# Docker build context: the repository root, cut down to the backend package and the Dockerfile.
IMAGE_CONTEXT_EXCLUDES: Final = [
    "*",
    "!functions/trackway_backend",
    f"!{SERVING_DOCKERFILE.relative_to(REPO_ROOT).as_posix()}",
    "**/__pycache__",
    "**/*.pyc",
    "**/.*",
]


def serving_image_code(handler: str, python_version: str) -> lambda_.DockerImageCode:
    """The serving function as an arm64 container image: no 250 MB limit (10 GB), bytecode precompiled."""
    return lambda_.DockerImageCode.from_image_asset(
        str(REPO_ROOT),
        file=SERVING_DOCKERFILE.relative_to(REPO_ROOT).as_posix(),
        build_args=image_build_args(serving_dependencies(), python_version),
        platform=ecr_assets.Platform.LINUX_ARM64,
        exclude=IMAGE_CONTEXT_EXCLUDES,
        ignore_mode=IgnoreMode.DOCKER,
        cmd=[handler],
    )
