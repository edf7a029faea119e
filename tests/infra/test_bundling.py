"""Dependency packaging, exercised without the network: pip is never actually run here."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import DockerImage

from trackway_infra.bundling import (
    LAMBDA_UNZIPPED_LIMIT,
    PLATFORMS,
    SKIPPED_MARKER,
    LayerTooLargeError,
    LocalCodeBundling,
    LocalPipBundling,
    code_bytes,
    docker_command,
    image_build_args,
    pip_arguments,
    project_dependencies,
    prune,
    serving_dependencies,
    tree_bytes,
)
from trackway_infra.constants import FUNCTIONS_DIR, PYPROJECT, SERVING_DOCKERFILE

IMAGE = DockerImage.from_registry("unused")


def test_layer_ships_the_project_dependencies() -> None:
    dependencies = project_dependencies()
    assert any(d.startswith("aws-lambda-powertools") for d in dependencies)
    assert any(d.startswith("pynamodb") for d in dependencies)
    assert not any(d.startswith(("mlflow", "pandas", "scikit-learn")) for d in dependencies)  # the lean layer


def test_serving_adds_the_model_runtime_to_the_project_dependencies() -> None:
    serving = serving_dependencies()
    assert serving[: len(project_dependencies())] == project_dependencies()  # resolved together, one version each
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0] for r in serving}
    assert {"mlflow-skinny", "pandas", "scikit-learn", "skops"} <= names


def test_the_models_the_adapters_load_are_covered_by_the_serving_extra() -> None:
    # pyfunc.py imports mlflow (pyfunc + scoring server, which need pandas); mlflow 3 saves the demo's sklearn
    # model with skops. The serving mlflow is the one the tests log models with, so they load as logged.
    pyfunc = (FUNCTIONS_DIR / "trackway_backend" / "adapters" / "serving" / "pyfunc.py").read_text()
    assert "import mlflow.pyfunc" in pyfunc and "from mlflow.pyfunc import scoring_server" in pyfunc
    with PYPROJECT.open("rb") as file:
        project = tomllib.load(file)
    [dev_version] = [
        found.group(1)
        for requirement in project["dependency-groups"]["dev"]
        if (found := re.fullmatch(r"mlflow(?:\[[^\]]*\])?==(\S+)", requirement))
    ]
    assert f"mlflow-skinny=={dev_version}" in serving_dependencies()


def test_pip_resolves_arm64_wheels_for_the_lambda_python_and_glibc() -> None:
    args = pip_arguments(("pynamodb>=6",), "3.14", "/out/python")
    platforms = [args[i + 1] for i, arg in enumerate(args) if arg == "--platform"]
    # numpy/pandas/scipy publish arm64 wheels as manylinux_2_27/2_28 only; AL2023 has glibc 2.34.
    assert {"manylinux2014_aarch64", "manylinux_2_28_aarch64", "manylinux_2_34_aarch64"} <= set(platforms)
    assert "manylinux_2_35_aarch64" not in platforms
    assert args[args.index("--python-version") + 1] == "3.14"
    assert "--only-binary=:all:" in args
    assert args[-1] == "pynamodb>=6"


def test_skip_writes_a_marker_and_never_runs_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subprocess, "run", _forbidden)
    assert LocalPipBundling("dependency", ("x",), "3.14", skip=True).try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "python" / SKIPPED_MARKER).exists()


def test_failed_local_pip_hands_over_to_docker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []

    def failing(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        calls.append(command)
        return subprocess.CompletedProcess(command, 1, "", "no network")

    monkeypatch.setattr(subprocess, "run", failing)
    assert LocalPipBundling("dependency", ("x",), "3.14", skip=False).try_bundle(str(tmp_path), image=IMAGE) is False
    assert calls and calls[0][1:4] == ["-m", "pip", "install"]


def test_bundling_prunes_test_suites_and_checks_the_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = {"pkg/core.py": 1000, "pkg/tests/test_core.py": 5000, "pkg/sub/tests/data.bin": 7000}
    monkeypatch.setattr(subprocess, "run", _fake_pip(sizes))
    assert LocalPipBundling("serving", ("x",), "3.14", skip=False).try_bundle(str(tmp_path), image=IMAGE)
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == ["python/pkg/core.py"]
    assert tree_bytes(tmp_path) == 1000


def test_a_layer_over_the_lambda_limit_fails_the_synth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Sparse files: the size Lambda counts, without writing 250 MB.
    budget = LAMBDA_UNZIPPED_LIMIT - code_bytes()
    monkeypatch.setattr(subprocess, "run", _fake_pip({"numpy/_core.so": budget - 10, "scipy/_lib.so": 11}))
    with pytest.raises(
        LayerTooLargeError, match=r"serving layer is [\d.]+ MB unzipped \(after pruning\), over its [\d.]+ MB budget"
    ):
        LocalPipBundling("serving", ("x",), "3.14", skip=False).try_bundle(str(tmp_path), image=IMAGE)


def test_a_layer_at_the_budget_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    budget = LAMBDA_UNZIPPED_LIMIT - code_bytes()
    monkeypatch.setattr(subprocess, "run", _fake_pip({"numpy/_core.so": budget}))
    assert LocalPipBundling("serving", ("x",), "3.14", skip=False).try_bundle(str(tmp_path), image=IMAGE)


def test_the_dependency_layer_ships_bytecode_that_never_checks_timestamps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_run = subprocess.run
    pip = _fake_pip({})

    def run(command: list[str], **kwargs: Any) -> Any:
        if "pip" in command:
            (tmp_path / "python" / "pkg").mkdir(parents=True)
            (tmp_path / "python" / "pkg" / "core.py").write_text("VALUE = 1\n")
            return pip(command, **kwargs)
        return real_run(command, **kwargs)

    monkeypatch.setattr(subprocess, "run", run)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert LocalPipBundling("dependency", ("x",), here, skip=False, bytecode=True).try_bundle(
        str(tmp_path), image=IMAGE
    )
    [compiled] = (tmp_path / "python" / "pkg" / "__pycache__").glob("core.*.pyc")
    assert compiled.name == f"core.{sys.implementation.cache_tag}.pyc"
    flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
    assert flags == 0b01  # hash-based, source never checked: valid whatever mtime the zip gives core.py


def test_without_the_runtimes_python_the_layer_is_built_as_source_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(subprocess, "run", _fake_pip({"pkg/core.py": 10}))
    monkeypatch.setattr(shutil, "which", lambda _: None)
    assert LocalPipBundling("dependency", ("x",), "3.99", skip=False, bytecode=True).try_bundle(
        str(tmp_path), image=IMAGE
    )
    assert not list(tmp_path.rglob("*.pyc"))
    assert "no python3.99 on this machine, so the dependency layer ships without bytecode" in capsys.readouterr().err


def test_the_docker_fallback_compiles_bytecode_with_the_runtimes_python() -> None:
    assert "compileall" not in docker_command(("pandas",), "3.14", 1)
    command = docker_command(("pandas",), "3.14", 1, bytecode=True)
    assert "python -m compileall -q -j 0 --invalidation-mode unchecked-hash /asset-output/python" in command
    assert command.index("compileall") < command.index("du -sb")  # the size check counts the bytecode


def test_the_function_code_counts_against_the_limit_too() -> None:
    assert 100_000 < code_bytes() < 5_000_000


def test_the_docker_fallback_prunes_and_checks_the_size_as_well() -> None:
    command = docker_command(("pandas",), "3.14", 123_456)
    assert command.startswith("pip install ") and "manylinux_2_28_aarch64" in command
    assert "-name tests -exec rm -rf" in command
    assert "-gt 123456 ]; then" in command and "exit 1" in command


def test_prune_keeps_modules_that_only_look_like_tests(tmp_path: Path) -> None:
    for path in ("numpy/testing/__init__.py", "pkg/tests/x.py", "pkg/tests.py"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("x")
    prune(tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.py")) == [
        "numpy/testing/__init__.py",
        "pkg/tests.py",
    ]


def test_the_image_is_built_with_the_layers_pip_arguments() -> None:
    args = image_build_args(serving_dependencies(), "3.14")
    assert args["PIP_PLATFORMS"].split() == list(PLATFORMS)
    assert args["PYTHON_VERSION"] == "3.14"
    dockerfile = SERVING_DOCKERFILE.read_text()
    for name in args:
        assert f"ARG {name}" in dockerfile, name
    assert "FROM --platform=$BUILDPLATFORM" in dockerfile  # installs arm64 wheels without emulation
    assert "compileall" in dockerfile  # read-only /var/task: precompiled bytecode saves every cold start
    assert 'CMD ["trackway_backend.handlers.serving.handler"]' in dockerfile


def _fake_pip(sizes: dict[str, int]) -> Any:
    def run(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        target = Path(command[command.index("--target") + 1])
        for relative, size in sizes.items():
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as file:
                os.truncate(file.fileno(), size)
        return subprocess.CompletedProcess(command, 0, "", "")

    return run


def _forbidden(*_: Any, **__: Any) -> None:
    raise AssertionError("pip must not run when bundling is skipped")


def _unchecked_hash(compiled: Path) -> bool:
    return int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b01


def test_the_function_code_ships_bytecode_that_never_checks_timestamps(tmp_path: Path) -> None:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert LocalCodeBundling(here, skip=False).try_bundle(str(tmp_path), image=IMAGE)
    entry = tmp_path / "trackway_backend" / "handlers" / "tracking"
    assert (entry / "__init__.py").is_file()
    compiled = entry / "__pycache__" / f"__init__.{sys.implementation.cache_tag}.pyc"
    assert _unchecked_hash(compiled)  # valid whatever mtime the zip gives the source
    sources = {p.relative_to(tmp_path).with_suffix("") for p in tmp_path.rglob("*.py")}
    modules = {p.parent.parent.relative_to(tmp_path) / p.name.split(".")[0] for p in tmp_path.rglob("*.pyc")}
    assert sources == modules  # every module, and no stale bytecode of a deleted one
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".") or p.name.endswith(".egg-info")]


def test_without_the_runtimes_python_the_function_code_ships_as_source_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _: None)
    assert LocalCodeBundling("3.99", skip=False).try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "trackway_backend" / "handlers" / "tracking" / "__init__.py").is_file()
    assert not list(tmp_path.rglob("*.pyc"))
    assert "no python3.99 on this machine, so the function code ships without bytecode" in capsys.readouterr().err


def test_skipped_bundling_copies_the_function_code_without_compiling(tmp_path: Path) -> None:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert LocalCodeBundling(here, skip=True).try_bundle(str(tmp_path), image=IMAGE)
    assert (tmp_path / "trackway_backend" / "handlers" / "tracking" / "__init__.py").is_file()
    assert not list(tmp_path.rglob("*.pyc"))
