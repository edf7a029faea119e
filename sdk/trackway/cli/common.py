"""Exit codes, client construction and error reporting shared by the CLI commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trackway.client import TrackwayClient
from trackway.config import Settings
from trackway.errors import ConfigurationError, RestError, TrackwayError, UnreachableError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3

Command = Callable[[argparse.Namespace], int]


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    if getattr(args, "tracking_uri", None):
        settings = settings.with_overrides(tracking_uri=args.tracking_uri)
    return settings


def client_from(args: argparse.Namespace) -> TrackwayClient:
    return TrackwayClient(settings=settings_from(args))


def fail(message: str) -> None:
    print(f"trackway: {message}", file=sys.stderr)


def run_guarded(command: Command, args: argparse.Namespace) -> int:
    """Run a command, turning SDK errors into a message on stderr and a meaningful exit code."""
    try:
        return command(args)
    except ConfigurationError as exc:
        fail(str(exc))
        return EXIT_USAGE
    except UnreachableError as exc:
        fail(f"tracking server unreachable: {exc}")
        return EXIT_UNREACHABLE
    except RestError as exc:
        fail(f"server error: {exc}")
        return EXIT_FAILURE
    except TrackwayError as exc:
        fail(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
