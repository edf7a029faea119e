"""`trackway` entry point: argparse wiring only; each command lives in its own module.

Exit codes: 0 ok, 1 failure, 2 usage or configuration, 3 tracking server unreachable.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from trackway._version import __version__
from trackway.cli import doctor, events, local, runs, sync, ui
from trackway.cli.common import run_guarded


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="trackway",
        description="trackway SDK command line: runs, spool sync, events and diagnostics.",
        epilog="Exit codes: 0 ok, 1 failure, 2 usage, 3 tracking server unreachable. The tracking URI and "
        "credentials come from TRACKWAY_TRACKING_URI / TRACKWAY_TRACKING_TOKEN (or the MLFLOW_* "
        "equivalents, or TRACKWAY_AWS_SIGV4=1 for IAM auth).",
    )
    parser.add_argument("--version", action="version", version=f"trackway {__version__}")
    parser.add_argument("--tracking-uri", default=None, help="override TRACKWAY_TRACKING_URI")
    sub = parser.add_subparsers(dest="group", required=True, metavar="COMMAND")
    local.add_parser(sub)
    runs.add_parser(sub)
    sync.add_parser(sub)
    events.add_parser(sub)
    doctor.add_parser(sub)
    ui.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["local"]:  # everything after `local` belongs to the local stack, order intact
        return local.run_local_argv(argv[1:])
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if args.group == "local":
        args.args = [*args.args, *extra]
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    return run_guarded(args.command, args)


if __name__ == "__main__":
    sys.exit(main())
