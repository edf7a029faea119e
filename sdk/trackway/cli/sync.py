"""`trackway sync`: replay what a crashed or offline job left in the spool."""

from __future__ import annotations

import argparse
from pathlib import Path

from trackway.auth import auth_from_settings
from trackway.cli.common import EXIT_FAILURE, EXIT_OK, EXIT_UNREACHABLE, settings_from
from trackway.errors import RestError, UnreachableError
from trackway.http import RestClient
from trackway.spool import Spool, SpooledRequest


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sync",
        help="upload spooled batches a crashed or offline job left behind",
        description="Replay spooled requests, oldest first, to the server each was meant for (auth from "
        "the environment). Each file is deleted only after the server accepted it.",
    )
    parser.add_argument("--spool-dir", type=Path, default=None, help="default: TRACKWAY_SPOOL_DIR or ~/.trackway/spool")
    parser.add_argument("--only-current", action="store_true", help="replay only requests for the current tracking URI")
    parser.add_argument(
        "--requeue-dead",
        action="store_true",
        help="first put the quarantined requests of <spool>/dead back in the queue (their failure count reset)",
    )
    parser.add_argument(
        "--requeue-rejected",
        action="store_true",
        help="first put the requests the server rejected (<spool>/rejected) back in the queue, once fixed",
    )
    parser.set_defaults(command=sync)


def sync(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    spool = Spool(args.spool_dir or settings.spool_path)
    if args.requeue_dead:
        print(f"spool {spool.directory}: {spool.requeue_dead()} quarantined request(s) put back in the queue")
    if args.requeue_rejected:
        print(f"spool {spool.directory}: {spool.requeue_rejected()} rejected request(s) put back in the queue")
    auth = auth_from_settings(settings)
    clients: dict[str, RestClient] = {}

    def send(request: SpooledRequest) -> None:
        client = clients.get(request.tracking_uri)
        if client is None:
            client = clients[request.tracking_uri] = RestClient(
                request.tracking_uri,
                auth=auth,
                retry=settings.retry,
                timeout=settings.http_timeout,
                verify=not settings.insecure_tls,
            )
        client.call(request.method, request.path, request.body)

    only = settings.require_uri() if args.only_current else None
    pending = len(spool.pending(only))
    result = spool.replay(send, only)
    print(
        f"spool {spool.directory}: {pending} pending, {result.sent} sent, {result.rejected} rejected, "
        f"{result.dead} quarantined, {result.remaining} left"
    )
    for path in result.rejected_files:
        print(f"  rejected by the server, kept in {path}")
    for path in result.dead_files:
        print(f"  kept failing, quarantined in {path}")
    if result.remaining:
        print(f"  stopped: {result.error}")
        return (
            EXIT_UNREACHABLE
            if isinstance(result.error, UnreachableError)
            or (isinstance(result.error, RestError) and result.error.retryable)
            else EXIT_FAILURE
        )
    return EXIT_FAILURE if result.dead or result.rejected else EXIT_OK
