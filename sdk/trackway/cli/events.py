"""`trackway events tail`: follow the local stack's event stream (`GET /_local/events?after=<cursor>`).

Only the local stack (`trackway local`) serves this route; in AWS, events go to EventBridge instead.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from trackway.cli.common import EXIT_OK, client_from
from trackway.cli.event_since import parse_since, stamped_at
from trackway.client import TrackwayClient

_PAGE = 10_000


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
    tail.add_argument(
        "--since",
        default=None,
        help="where to start: now (the default when following: only new events), start (the whole kept "
        "history; the default with --once), a cursor "
        "(e.g. 42), a duration ago (30s, 10m, 2h) or an ISO time (2026-11-25T21:00:00Z)",
    )
    tail.add_argument("--after", default=None, help="start after this cursor (same as --since CURSOR)")
    tail.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    tail.add_argument("--once", action="store_true", help="print what is there (from --since) and exit")
    tail.set_defaults(command=tail_events)


def tail_events(args: argparse.Namespace) -> int:
    client = client_from(args)
    since = parse_since(args.after or args.since or ("start" if args.once else "now"))
    cursor = _last_cursor(client) if since.now else since.cursor or "0"
    try:
        while True:
            started = time.monotonic()
            # `wait` lets the local stack hold the poll open until an event arrives (long polling)
            params = {"after": cursor, "wait": None if args.once else args.interval}
            body = client.rest.call("GET", "/_local/events", params)
            events = body.get("events") or []
            for event in events:
                if since.moment is not None:
                    moment = stamped_at(event)
                    if moment is not None and moment < since.moment:
                        continue
                print(json.dumps(event, sort_keys=True, default=str))
            sys.stdout.flush()
            cursor = body.get("cursor") or cursor
            if args.once and not events:  # --once drains what is there, page by page
                return EXIT_OK
            if not events and time.monotonic() - started < args.interval / 2:
                time.sleep(args.interval)  # the server did not long-poll: plain polling
    except KeyboardInterrupt:
        return EXIT_OK


def _last_cursor(client: TrackwayClient) -> str:
    """The cursor of the newest event kept: page through without printing (the log is bounded)."""
    cursor = "0"
    while True:
        body = client.rest.call("GET", "/_local/events", {"after": cursor, "limit": _PAGE})
        events, cursor = body.get("events") or [], body.get("cursor") or cursor
        if len(events) < _PAGE:
            return cursor
