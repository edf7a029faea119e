"""The local API's execution environments: gunicorn sync workers, one request per process at a time.

`python -m trackway_backend.local.api_workers --bind 127.0.0.1:5000 --workers 4 --control-url URL`

The supervisor (local/server.py) starts this with the engines' endpoints in the environment. The handler
modules are imported once, before the workers fork, so a new worker is warm at once; each worker then builds
its own clients and resolvers on its first event (nothing connects at import time), as a Lambda execution
environment does. A worker that dies is replaced by gunicorn.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
from typing import Any

from gunicorn.app.base import BaseApplication

from trackway_backend.local.gateway import Gateway
from trackway_backend.local.request_guard import RequestGuard
from trackway_backend.local.users import LocalUsers
from trackway_backend.routes import Function

# Long enough for a serving function's first model load; a hung worker is still replaced.
WORKER_TIMEOUT_SECONDS = 120


def default_workers() -> int:
    """Two per core: a worker waits on DynamoDB Local and S3 for much of a request, so two per core keep every
    core busy (measured in docs/adr/007-local-execution-environments.md); at least 2."""
    return max(2, 2 * (os.cpu_count() or 1))


class ApiWorkers(BaseApplication):  # type: ignore[misc]
    def __init__(self, application: Gateway, options: dict[str, Any]) -> None:
        self._application = application
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Gateway:
        return self._application


def _preload_handlers() -> None:
    for function in Function:
        importlib.import_module(f"trackway_backend.handlers.{function.value}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m trackway_backend.local.api_workers")
    parser.add_argument("--bind", required=True)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--control-url")
    parser.add_argument("--guard", default="{}", help='JSON: {"hosts": [...], "origins": [...]}')
    parser.add_argument("--no-ui", action="store_true", help="don't serve the MLflow UI at /")
    args = parser.parse_args(argv)
    guard_options = json.loads(args.guard)
    guard = RequestGuard.build(guard_options.get("hosts", []), guard_options.get("origins", []))
    users = LocalUsers.from_env(os.environ)
    if users is not None:  # before the handlers read their settings
        os.environ.update(users.environment())
    _preload_handlers()
    ui = None
    if not args.no_ui:
        from trackway_backend.local.ui import local_ui

        ui = local_ui(guard.allowed_hosts)
    options = {
        "bind": [args.bind],
        "workers": args.workers,
        "worker_class": "sync",
        "timeout": WORKER_TIMEOUT_SECONDS,
        "graceful_timeout": 10,
        "backlog": 512,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "trackway-api",
        "limit_request_line": 16_384,  # search filters travel in GET query strings
        "limit_request_field_size": 16_384,
    }
    ApiWorkers(Gateway(guard, args.control_url, ui, users), options).run()


if __name__ == "__main__":
    main()
