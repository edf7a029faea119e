"""The local stack as a child process, the way a user runs it: for tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float, name: str) -> bool:
    """Poll `url`/health until it answers 200 (True) or `timeout` passes (False); raises if `process` exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with code {process.returncode} during start-up")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:  # refused, reset or timed out while it starts
            pass
        time.sleep(0.2)
    return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StackProcess:
    """Starts `python -m trackway_backend.local` on a free port and waits until /health answers."""

    def __init__(self, data_dir: Path, port: int | None = None, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "stack.log"
        self._env = env or {}
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the local stack is not running")
        return self._process.pid

    def start(self, timeout: float = 120) -> StackProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **self._env}
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "trackway_backend.local",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        try:
            if wait_healthy(self.url, self._process, timeout, "the local stack"):
                return self
        except RuntimeError as error:
            raise RuntimeError(f"{error}:\n{self.log_path.read_text()[-4000:]}") from None
        self.stop()
        raise RuntimeError(f"local stack did not become healthy:\n{self.log_path.read_text()[-4000:]}")

    def stop(self) -> int | None:
        if self._process is None:
            return None
        self._process.send_signal(signal.SIGTERM)
        try:
            return self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            return self._process.wait()
        finally:
            self._process = None

    def __enter__(self) -> StackProcess:
        return self.start()

    def __exit__(self, *exc: object | TracebackType) -> None:
        self.stop()
