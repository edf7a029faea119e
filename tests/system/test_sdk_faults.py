"""Fault injection against the local stack: the API vanishes behind a TCP proxy, a job is SIGKILLed."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.retry import RetryPolicy
from trackway.session import Session
from trackway_backend.local.process import StackProcess

pytestmark = pytest.mark.system
SDK_ROOT = Path(__file__).resolve().parents[2] / "sdk"


class TcpProxy:
    """127.0.0.1:<port> → target; `stop()` refuses new connections and cuts open ones, `start()` resumes."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> TcpProxy:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port, self._listener = listener.getsockname()[1], listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def stop(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):  # wakes the thread blocked in accept() (Linux)
                    self._listener.shutdown(socket.SHUT_RDWR)
                self._listener.close()
                self._listener = None
            for conn in self._conns:
                conn.close()
            self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def proxy(local_stack: StackProcess) -> Iterator[TcpProxy]:
    p = TcpProxy(local_stack.port).start()
    yield p
    p.stop()


def _settings(url: str, tmp_path: Path) -> Settings:
    return Settings(
        tracking_uri=url,
        home=tmp_path / "home",
        flush_interval=0.1,
        probe_interval=0.2,
        exit_timeout=5.0,
        handle_signals=False,
        retry=RetryPolicy(3, 0.05, 0.2),
    )


def test_api_down_mid_training_every_point_arrives(proxy: TcpProxy, local_stack: StackProcess, tmp_path: Path) -> None:
    session = Session(_settings(proxy.url, tmp_path))
    session.set_experiment(f"sdk-outage-{uuid.uuid4().hex[:6]}")
    run = session.start_run()
    for step in range(3000):
        session.log_metric("loss", 1.0 / (step + 1), step=step)
        if step == 1000:
            session.flush()
            proxy.stop()
        if step == 2000:
            assert session.flush(30) and session.logger.offline
            proxy.start()
    session.shutdown()
    stored = TrackwayClient(local_stack.url)
    deadline = time.monotonic() + 30
    while stored.get_run(run.info.run_id).info.status != "FINISHED" and time.monotonic() < deadline:
        time.sleep(0.2)
    history = stored.get_metric_history(run.info.run_id, "loss")
    assert sorted(m.step for m in history) == list(range(3000))
    assert session.logger.stats["spooled"] > 0


def test_sigkilled_job_replays_on_next_start_without_duplicates(
    proxy: TcpProxy, local_stack: StackProcess, tmp_path: Path
) -> None:
    spool = tmp_path / "spool"
    env = {
        **os.environ,
        "TRACKWAY_TRACKING_URI": proxy.url,
        "TRACKWAY_SPOOL_DIR": str(spool),
        "TRACKWAY_FLUSH_INTERVAL": "0.1",
        "TRACKWAY_MAX_ATTEMPTS": "2",
        "TRACKWAY_HANDLE_SIGNALS": "0",
        "PYTHONPATH": str(SDK_ROOT),
    }
    code = (
        "import sys, time, trackway\nrun = trackway.start_run()\nprint(run.info.run_id, flush=True)\n"
        "sys.stdin.readline()\nfor i in range(4000): trackway.log_metric('loss', i / 7, step=i)\n"
        "trackway.flush(); print('spooled', flush=True); time.sleep(120)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdin is not None and child.stdout is not None
    run_id = child.stdout.readline().strip()
    proxy.stop()
    child.stdin.write("go\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "spooled"
    child.send_signal(signal.SIGKILL)
    child.wait(10)
    assert list(spool.glob("*.json"))
    proxy.start()
    session = Session(_settings(proxy.url, tmp_path).with_overrides(spool_dir=spool))
    session.start_run()  # the next job: its flusher replays the dead job's spool first
    deadline = time.monotonic() + 60
    while list(spool.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    session.shutdown()
    history = TrackwayClient(local_stack.url).get_metric_history(run_id, "loss")
    assert sorted(m.step for m in history) == list(range(4000))  # all there, each exactly once
