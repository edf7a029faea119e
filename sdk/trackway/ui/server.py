"""Runs the UI app on 127.0.0.1 with the standard library's WSGI server, one thread per request (the UI
loads dozens of files and calls in parallel)."""

from __future__ import annotations

from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from trackway.ui.wsgi import WSGIApp


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def make_ui_server(app: WSGIApp, port: int, host: str = "127.0.0.1") -> WSGIServer:
    """A server bound to `host:port` (port 0 picks a free one), not yet serving."""
    return make_server(host, port, app, server_class=_ThreadingServer, handler_class=_QuietHandler)
