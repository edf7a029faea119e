"""`python -m trackway_backend.local` / `trackway local`: the whole backend on 127.0.0.1, one command."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from trackway_backend.local.engines import Endpoints, engines, local_credentials
from trackway_backend.local.eventing import local_eventing
from trackway_backend.local.gateway import Gateway
from trackway_backend.local.provision import provision

log = logging.getLogger("trackway.local")


@dataclass
class LocalStack:
    url: str
    endpoints: Endpoints
    gateway: Gateway


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


@contextmanager
def local_stack(host: str, port: int, data_dir: Path) -> Iterator[LocalStack]:
    """Start the engines and the gateway; stop everything on exit."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with engines(data_dir) as endpoints:
        os.environ.update(environment(endpoints, data_dir))
        provision()
        with local_eventing(data_dir) as eventing:
            gateway = Gateway((host, port), local_routes=eventing.routes)
            thread = threading.Thread(target=gateway.serve_forever, name="trackway-gateway", daemon=True)
            thread.start()
            try:
                yield LocalStack(f"http://{host}:{gateway.server_address[1]}", endpoints, gateway)
            finally:
                gateway.shutdown()
                gateway.server_close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="trackway local", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: 127.0.0.1)")
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        with local_stack(args.host, args.port, args.data_dir.resolve()) as stack:
            log.info(
                "trackway is serving the MLflow API on %s (engines: %s, data: %s)",
                stack.url,
                stack.endpoints.engine,
                args.data_dir.resolve(),
            )
            log.info("point MLflow at it: export MLFLOW_TRACKING_URI=%s", stack.url)
            stop.wait()
    except OSError as exc:
        log.error("could not start: %s", exc)
        return 1
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
