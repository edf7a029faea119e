"""`trackway events tail`: follow the local stack's event stream (`GET /_local/events?after=<cursor>`).

Only the local stack (`trackway local`) serves this route; in AWS, events go to EventBridge instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from trackway.cli.common import EXIT_OK, client_from


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = sub.add_parser(
        "events",
        help="follow the local stack's events",
        description="Events published by the local stack (trackway local).",
    )
    actions = events.add_subparsers(dest="action", required=True, metavar="{tail}")
    tail = actions.add_parser(
        "tail",
        help="print events as they happen (local stack only)",
        description="Poll GET /_local/events?after=<cursor> on the local stack and print each event as one "
        "JSON line. Works against `trackway local`, not against a deployed API.",
    )
    tail.add_argument("--after", default=None, help="start after this cursor (default: from the beginning)")
    tail.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    tail.add_argument("--once", action="store_true", help="print what is there now and exit")
    tail.set_defaults(command=tail_events)


def tail_events(args: argparse.Namespace) -> int:
    client = client_from(args)
    cursor = args.after
    try:
        while True:
            started = time.monotonic()
            # `wait` lets the local stack hold the poll open until an event arrives (long polling)
            params = {"after": cursor, "wait": None if args.once else args.interval}
            body = client.rest.call("GET", "/_local/events", params)
            events = body.get("events") or []
            for event in events:
                print(json.dumps(event, sort_keys=True, default=str))
            sys.stdout.flush()
            cursor = body.get("cursor") or cursor
            if args.once:
                return EXIT_OK
            if not events and time.monotonic() - started < args.interval / 2:
                time.sleep(args.interval)  # the server did not long-poll: plain polling
    except KeyboardInterrupt:
        return EXIT_OK
