"""`trackway events tail`: follow the local stack's event stream (`GET /_local/events?after=<cursor>`).
`trackway events redrive`: republish outbox events still pending (docs/adr/013-event-redrive.md).

Only the local stack (`trackway local`) serves the `/_local/` routes; in AWS, events go to EventBridge and
redrive invokes the deployed redrive function with the caller's AWS credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from trackway.cli.common import EXIT_FAILURE, EXIT_OK, client_from
from trackway.cli.event_since import parse_since, stamped_at
from trackway.client import TrackwayClient

_PAGE = 10_000


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    events = sub.add_parser(
        "events",
        help="follow the local stack's events",
        description="Events published by the local stack (trackway local).",
    )
    actions = events.add_subparsers(dest="action", required=True, metavar="{tail,redrive}")
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
    redrive = actions.add_parser(
        "redrive",
        help="republish outbox events still waiting (the redrive function runs this on a schedule too)",
        description="Put on the bus every outbox event not yet published, under its own event_id, and clear the "
        "publisher's dead letters this resolves. With --function, invokes the deployed redrive function "
        "(AWS credentials from the default chain); without, asks the local stack.",
    )
    redrive.add_argument(
        "--older-than",
        type=float,
        default=None,
        help="only events pending at least this many seconds (default: the function's setting, 900)",
    )
    redrive.add_argument("--limit", type=int, default=None, help="events per round (1..10000)")
    redrive.add_argument(
        "--function",
        default=None,
        help="the deployed redrive function's name or ARN (e.g. trackway's RedriveFunction); omit for the local stack",
    )
    redrive.add_argument("--region", default=None, help="AWS region of --function (default: the AWS default)")
    redrive.set_defaults(command=redrive_events)


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


def redrive_events(args: argparse.Namespace) -> int:
    overrides: dict[str, Any] = {}
    if args.older_than is not None:
        overrides["older_than"] = args.older_than
    if args.limit is not None:
        overrides["limit"] = args.limit
    if args.function:
        report = _invoke_redrive(args.function, args.region, overrides)
    else:
        rest = client_from(args).rest
        # The local route takes its overrides in the query string (the supervisor sees only the target); an
        # error answer raises RestError, which the CLI reports.
        report = rest.raw("POST", rest.url("/_local/events/redrive", overrides), data=b"", signed=True).json()
    print(json.dumps(report, sort_keys=True))
    return EXIT_FAILURE if "error_code" in report or report.get("not_accepted") else EXIT_OK


def _invoke_redrive(function: str, region: str | None, overrides: dict[str, Any]) -> dict[str, Any]:
    """One synchronous invocation of the redrive function; its answer is the run's report."""
    import boto3

    older_than = overrides.get("older_than")
    payload = {"older_than_seconds": None if older_than is None else int(older_than), "limit": overrides.get("limit")}
    client = boto3.client("lambda", region_name=region)
    response = client.invoke(
        FunctionName=function,
        InvocationType="RequestResponse",
        Payload=json.dumps({k: v for k, v in payload.items() if v is not None}).encode(),
    )
    answer = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        return {"error_code": "FUNCTION_ERROR", "message": str(answer.get("errorMessage", answer))}
    return answer if isinstance(answer, dict) else {"error_code": "BAD_RESPONSE", "message": str(answer)}
