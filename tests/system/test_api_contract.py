"""schemathesis fuzzes every operation of docs/openapi.json against a local stack: no 5xx, no off-contract body.

The stack is the test's own: fuzzing deletes, renames and tags whatever it finds (experiment "0" included),
which would break the other system tests sharing the session's stack. Every operation is fuzzed: a model
that does not exist is fuzzed too, and must answer 404, not 500. One kind of case is left out: the coverage
phase's requests with a method the path does not have (TRACE, OPTIONS, ...). No handler sees those: API
Gateway answers them itself (404 `{"message": "Not Found"}`), and the local gateway answers as it does.
The run is bounded by the examples per operation and a time budget; TRACKWAY_FUZZ_EXAMPLES and
TRACKWAY_FUZZ_SEED widen or vary it locally.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trackway_backend.local.process import StackProcess
from trackway_backend.routes import ROUTES

DOCUMENT = Path(__file__).parents[2] / "docs" / "openapi.json"
CHECKS = "not_a_server_error,response_schema_conformance"
EXAMPLES = int(os.environ.get("TRACKWAY_FUZZ_EXAMPLES", "8"))
SEED = int(os.environ.get("TRACKWAY_FUZZ_SEED", "14"))
BUDGET_SECONDS = 120
CONFIG = "[phases.coverage]\nunexpected-methods = []\n"


@pytest.fixture(scope="module")
def fuzz_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StackProcess]:
    with StackProcess(tmp_path_factory.mktemp("trackway-fuzz")) as stack:
        yield stack


def _schemathesis(stack: StackProcess, workdir: Path) -> subprocess.CompletedProcess[str]:
    config = workdir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", str(DOCUMENT)),
        *("--url", stack.url, "--checks", CHECKS, "--phases", "coverage,fuzzing"),
        *("--max-examples", str(EXAMPLES), "--seed", str(SEED), "--workers", "2"),
        *("--max-time", str(BUDGET_SECONDS), "--request-timeout", "30", "--max-redirects", "0"),
        *("--no-color", "--report", "json", "--report-json-path", str(workdir / "report.json")),
    ]
    # The hard stop, should the budget above not hold: schemathesis checks it between test cases.
    return subprocess.run(  # in workdir: schemathesis keeps its cache (.schemathesis/) in the working directory
        command, cwd=workdir, capture_output=True, text=True, timeout=BUDGET_SECONDS + 60, check=False
    )


def test_fuzzing_the_contract_finds_no_server_error_and_no_off_contract_response(
    fuzz_stack: StackProcess, tmp_path: Path
) -> None:
    report_path = tmp_path / "report.json"
    started = time.monotonic()
    run = _schemathesis(fuzz_stack, tmp_path)
    elapsed = time.monotonic() - started
    assert report_path.exists(), f"schemathesis wrote no report (exit {run.returncode}):\n{run.stdout[-4000:]}"
    report: dict[str, Any] = json.loads(report_path.read_text())
    figures = (
        f"{report['operations']['tested']} of {len(ROUTES)} operations, {report['test_cases']['generated']} test "
        f"cases, {report['test_cases']['with_failures']} failing, seed {SEED}, {elapsed:.0f} s"
    )
    print(f"schemathesis: {figures}")
    assert report["failures"] == [] and report["errors"] == [], f"{figures}\n{run.stdout[-12000:]}"
    assert run.returncode == 0, f"{figures}\n{run.stdout[-6000:]}"
    assert report["operations"]["tested"] == len(ROUTES), figures
