"""The servers under test, each a context manager that yields a base URL and cleans up after itself.

- trackway: the local stack (`python -m trackway_backend.local`: DynamoDB Local, s3rver, the Lambda
  handlers behind the API Gateway emulation), as a child process.
- mlflow server on sqlite, and on PostgreSQL when it is installed, with `--serve-artifacts` and a local
  artifacts destination; its defaults otherwise (4 uvicorn workers), minus the background job runner,
  which the tracking API does not use.
Everything binds to 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from trackway_backend.local.process import StackProcess, free_port, wait_healthy


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    description: str


@contextmanager
def trackway(work: Path) -> Iterator[Target]:
    with StackProcess(work / "trackway") as stack:
        yield Target("trackway", stack.url, "trackway local stack (DynamoDB Local + s3rver + handlers)")


@contextmanager
def mlflow_server(name: str, backend_uri: str, work: Path, description: str) -> Iterator[Target]:
    home = work / name
    artifacts = home / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("mlflow")),
        "server",
        "--backend-store-uri",
        backend_uri,
        "--serve-artifacts",
        "--artifacts-destination",
        str(artifacts),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    log_path = home / "server.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=home, start_new_session=True
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(process, url, log_path)
        yield Target(name, url, description)
    finally:
        _stop_group(process)


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path, timeout: float = 240) -> None:
    try:
        healthy = wait_healthy(url, process, timeout, "mlflow server")
    except RuntimeError as error:
        raise RuntimeError(f"{error}:\n{log_path.read_text()[-3000:]}") from None
    if not healthy:
        raise RuntimeError(f"mlflow server did not become healthy:\n{log_path.read_text()[-3000:]}")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's own process group (its uvicorn workers), SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass
