"""`python -m trackway_backend.local` / `trackway local`: the whole backend on 127.0.0.1, one command.

This process supervises: it starts the engines (DynamoDB Local, s3rver), creates the tables, runs local
eventing (outbox stream → publisher → bus → event targets in worker processes), and starts the API workers
(gunicorn sync workers, local/api_workers.py) that handle HTTP requests, one request per process at a time.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from trackway_backend.local.api_workers import default_workers
from trackway_backend.local.control import ControlServer
from trackway_backend.local.engines import Endpoints, child_of_supervisor, engines, local_credentials
from trackway_backend.local.eventing import local_eventing
from trackway_backend.local.process import wait_healthy
from trackway_backend.local.provision import provision
from trackway_backend.local.ui import ui_available
from trackway_backend.local.users import ENV_VAR as USERS_ENV_VAR
from trackway_backend.local.users import LocalUsers

log = logging.getLogger("trackway.local")
_STARTUP_SECONDS = 120


@dataclass(frozen=True)
class Options:
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = field(default_factory=default_workers)
    event_workers: int = 2
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()


@dataclass
class LocalStack:
    url: str
    endpoints: Endpoints


def environment(endpoints: Endpoints, data_dir: Path) -> dict[str, str]:
    """The settings every function reads, pointed at the local engines."""
    return {
        "TRACKWAY_DYNAMODB_ENDPOINT": endpoints.dynamodb,
        "TRACKWAY_S3_ENDPOINT": endpoints.s3,
        "TRACKWAY_REGION": "us-east-1",
        "TRACKWAY_DATA_DIR": str(data_dir),
        "TRACKWAY_MODEL_CACHE_DIR": str(data_dir / "models"),
        "AWS_ACCESS_KEY_ID": local_credentials()[0],
        "AWS_SECRET_ACCESS_KEY": local_credentials()[1],
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "trackway-local",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def url_host(host: str) -> str:
    """How a client on this machine names the interface: a wildcard bind is reached on loopback."""
    if host in ("0.0.0.0", "::", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


@contextmanager
def api_workers(options: Options, control_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """The gunicorn API workers as a child process (its own session: the supervisor stops it)."""
    guard = {"hosts": [*options.allowed_hosts, *([] if is_loopback(options.host) else [options.host])]}
    guard["origins"] = list(options.allowed_origins)
    bind_host = f"[{options.host}]" if ":" in options.host else options.host
    command = [
        sys.executable,
        "-m",
        "trackway_backend.local.api_workers",
        "--bind",
        f"{bind_host}:{options.port}",
        "--workers",
        str(options.workers),
        "--control-url",
        control_url,
        "--guard",
        json.dumps(guard),
    ]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=child_of_supervisor)  # noqa: PLW1509
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)  # gunicorn: finish the requests in flight, then stop
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def local_engines(data_dir: Path) -> Iterator[Endpoints]:
    """The engines with the tables created, and this process's environment pointed at them (no API): what
    in-process tools such as bench/capacity.py need."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with engines(data_dir) as endpoints:
        os.environ.update(environment(endpoints, data_dir))
        provision()
        yield endpoints


@contextmanager
def local_stack(options: Options, data_dir: Path) -> Iterator[LocalStack]:
    """Start the engines, eventing and the API workers; stop everything, in reverse order, on exit."""
    with (
        local_engines(data_dir) as endpoints,
        local_eventing(data_dir, options.event_workers) as eventing,
        ControlServer(eventing.routes) as control,
        api_workers(options, control.url) as workers,
    ):
        url = f"http://{url_host(options.host)}:{options.port}"
        if not wait_healthy(url, workers, _STARTUP_SECONDS, "the API workers"):
            raise RuntimeError(f"the API workers did not answer {url}/health within {_STARTUP_SECONDS} s")
        yield LocalStack(url, endpoints)


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def parse_options(argv: list[str] | None) -> tuple[Options, Path]:
    parser = argparse.ArgumentParser(prog="trackway local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow --host to be an interface other than loopback. The local API has NO authentication: "
        "anyone who can reach the port can read and change all data.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("TRACKWAY_PORT", "5000")),
        help="API port (default: $TRACKWAY_PORT or 5000)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("TRACKWAY_DATA_DIR", ".trackway")),
        help="where data persists across restarts (default: ./.trackway)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("TRACKWAY_WORKERS") or default_workers()),
        help="API worker processes, each handling one request at a time, like Lambda execution environments "
        f"(default: $TRACKWAY_WORKERS or two per core: {default_workers()} here)",
    )
    parser.add_argument(
        "--event-workers",
        type=int,
        default=int(os.environ.get("TRACKWAY_EVENT_WORKERS") or 2),
        help="worker processes for event targets (approval, deployment), one event at a time each (default: 2)",
    )
    parser.add_argument(
        "--allowed-hosts",
        default=os.environ.get("TRACKWAY_ALLOWED_HOSTS", ""),
        help="extra Host names the API answers, comma-separated (loopback names always; $TRACKWAY_ALLOWED_HOSTS)",
    )
    parser.add_argument(
        "--allowed-origins",
        default=os.environ.get("TRACKWAY_ALLOWED_ORIGINS", ""),
        help="extra browser origins allowed to call the API, comma-separated ($TRACKWAY_ALLOWED_ORIGINS)",
    )
    args = parser.parse_args(argv)
    if not is_loopback(args.host) and not args.allow_remote:
        parser.error(
            f"--host {args.host} would expose the API, which has no authentication, beyond this machine; "
            "add --allow-remote if that is what you want"
        )
    if args.workers < 1 or args.event_workers < 1:
        parser.error("--workers and --event-workers must be at least 1")
    options = Options(
        host=args.host,
        port=args.port,
        workers=args.workers,
        event_workers=args.event_workers,
        allowed_hosts=_csv(args.allowed_hosts),
        allowed_origins=_csv(args.allowed_origins),
    )
    return options, args.data_dir.resolve()


def main(argv: list[str] | None = None) -> int:
    options, data_dir = parse_options(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("botocore.credentials").setLevel(logging.WARNING)  # "Found credentials in environment variables"
    try:
        users = LocalUsers.from_env(os.environ)
    except (OSError, ValueError) as exc:
        log.error("could not read %s: %s", USERS_ENV_VAR, exc)
        return 1
    if users is not None:
        log.info("access control on: %d tokens from %s", len(users.tokens), os.environ[USERS_ENV_VAR])
    elif not is_loopback(options.host):
        log.warning(
            "listening on %s: the local API has NO authentication; anyone who can reach port %d can read, "
            "change and delete all data (set %s to require tokens)",
            options.host,
            options.port,
            USERS_ENV_VAR,
        )
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        with local_stack(options, data_dir) as stack:
            log.info(
                "trackway is serving the MLflow API on %s (%d API workers, %d event workers; engines: %s; data: %s)",
                stack.url,
                options.workers,
                options.event_workers,
                stack.endpoints.engine,
                data_dir,
            )
            log.info("point MLflow at it: export MLFLOW_TRACKING_URI=%s", stack.url)
            if ui_available():
                log.info("the MLflow UI is at %s/", stack.url)
            else:
                log.info("no MLflow UI: pip install './sdk[ui]' (or 'trackway[ui]') and restart to get it at /")
            stop.wait()
    except (OSError, RuntimeError) as exc:
        log.error("could not start: %s", exc)
        return 1
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
