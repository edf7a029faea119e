"""MLflow's web UI at `/` of the local stack, when the SDK's `ui` extra (and so `mlflow`) is installed.

The UI app (`trackway.ui`) reaches the API through a transport; here that transport dispatches each call to
the function's handler in this worker process, never back over HTTP to the pool that is serving the page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from trackway_backend.local.gateway import WsgiApp, dispatch

log = logging.getLogger("trackway.local")


def local_ui(allowed_hosts: Iterable[str]) -> WsgiApp | None:
    """The UI as a WSGI app over the handlers in process, or None (with the reason logged) when it is missing."""
    try:
        from trackway.query import encode_path
        from trackway.ui.app import create_app
        from trackway.ui.transport import Reply
    except ImportError as error:
        log.info("MLflow UI not served: %s (pip install './sdk[ui]')", error)
        return None

    def transport(method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Any:
        target = encode_path(path) + (f"?{query}" if query else "")
        request_headers = {"host": "127.0.0.1", **{key.lower(): value for key, value in headers.items()}}
        status, reply_headers, data = dispatch(method, target, request_headers, body, "127.0.0.1")
        return Reply(status, list(reply_headers.items()), data)

    try:
        return create_app(transport, allowed_hosts=[f"[{host}]" if ":" in host else host for host in allowed_hosts])
    except Exception as error:  # mlflow without its built UI (mlflow-skinny), or a broken install
        log.info("MLflow UI not served: %s", error)
        return None


def ui_available() -> bool:
    try:
        from trackway.ui.static import find_build_dir

        find_build_dir()
    except Exception:
        return False
    return True
