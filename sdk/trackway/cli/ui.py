"""`trackway ui`: serve MLflow's web UI on 127.0.0.1 against a trackway API (needs `trackway[ui]`)."""

from __future__ import annotations

import argparse
import os

from trackway.auth import auth_from_settings
from trackway.cli.common import EXIT_OK, settings_from

DEFAULT_PORT = 5001
DEFAULT_TRACKING_URI = "http://127.0.0.1:5000"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "ui",
        help="serve the MLflow web UI against trackway (needs trackway[ui])",
        description="Serve MLflow's own web UI on 127.0.0.1 against the trackway API at the tracking URI "
        f"(default $MLFLOW_TRACKING_URI or {DEFAULT_TRACKING_URI}). Requests to a deployed stack are signed "
        "as the SDK signs them: SigV4 with TRACKWAY_AWS_SIGV4=1 / MLFLOW_TRACKING_AWS_SIGV4=true, else a token.",
    )
    parser.add_argument(
        "--tracking-uri", default=argparse.SUPPRESS, help="the trackway API (overrides the environment)"
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    parser.set_defaults(command=run_ui)


def run_ui(args: argparse.Namespace) -> int:
    # Imported here: the UI's dependencies (mlflow's built files, graphql-core) come with the `ui` extra.
    from trackway.ui.app import create_app
    from trackway.ui.server import make_ui_server
    from trackway.ui.transport import HttpTransport

    settings = settings_from(args)
    uri = (settings.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI).rstrip("/")
    transport = HttpTransport(
        uri, auth_from_settings(settings), timeout=settings.http_timeout, verify=not settings.insecure_tls
    )
    app = create_app(transport)
    server = make_ui_server(app, args.port)
    port = server.server_address[1]
    print(f"trackway ui: MLflow UI for {uri} at http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        transport.close()
    return EXIT_OK
