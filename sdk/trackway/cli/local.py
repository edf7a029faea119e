"""`trackway local`: run the local stack from the backend package (`trackway[local]`)."""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys

from trackway.cli.common import EXIT_FAILURE, fail

_MODULE = "trackway_backend.local.server"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "local",
        help="run the local stack (needs trackway[local])",
        add_help=False,
        description=f"Run the trackway local stack ({_MODULE}); arguments are passed through to it.",
    )
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the local stack (try --help)")
    parser.set_defaults(command=run_local)


def run_local(args: argparse.Namespace) -> int:
    return run_local_argv(list(args.args))


def run_local_argv(argv: list[str]) -> int:
    """Import the local stack lazily and hand it `argv`."""
    try:
        module = importlib.import_module(_MODULE)
    except ImportError as exc:
        if {"-h", "--help"} & set(argv):
            print("usage: trackway local [ARGS...]\n\nRuns the trackway local stack; ARGS go to it.")
        fail(
            f"the local stack is not installed ({exc}).\n  Install it with: pip install 'trackway[local]'"
            "  (or `pip install -e .` at the root of the trackway repository)"
        )
        return EXIT_FAILURE
    main = module.main
    if inspect.signature(main).parameters:
        result = main(argv)
    else:
        sys.argv = ["trackway local", *argv]
        result = main()
    return int(result or 0)
