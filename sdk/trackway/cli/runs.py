"""`trackway runs list|show|compare`."""

from __future__ import annotations

import argparse

from trackway.cli.common import EXIT_FAILURE, EXIT_OK, client_from, fail
from trackway.cli.experiment_choice import choose_experiment, heading
from trackway.cli.table import duration, number, table, when
from trackway.entities import Metric, Run


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    runs = sub.add_parser("runs", help="list, show and compare runs", description="Inspect runs.")
    actions = runs.add_subparsers(dest="action", required=True, metavar="{list,show,compare}")
    listing = actions.add_parser(
        "list",
        help="runs of an experiment, newest first",
        description="List the runs of an experiment, newest first.",
    )
    group = listing.add_mutually_exclusive_group()
    group.add_argument("-e", "--experiment", help="experiment name")
    group.add_argument(
        "--experiment-id", default=None, help="experiment id (default: the experiment with the most recent run)"
    )
    listing.add_argument("--filter", default="", help='MLflow search filter, e.g. "metrics.acc > 0.9"')
    listing.add_argument("-n", "--max-results", type=int, default=50)
    listing.set_defaults(command=list_runs)
    show = actions.add_parser(
        "show",
        help="one run's info, params, metrics and tags",
        description="Show a run: info, params, latest metrics and tags.",
    )
    show.add_argument("run_id")
    show.set_defaults(command=show_run)
    compare = actions.add_parser(
        "compare",
        help="params and metrics of runs side by side",
        description="Compare runs; optionally draw their metric curves to a PNG.",
    )
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    compare.add_argument("-m", "--metric", action="append", default=None, help="metric to plot (repeatable)")
    compare.add_argument("--png", default=None, help="write metric curves here (needs trackway[plot])")
    compare.set_defaults(command=compare_runs)


def list_runs(args: argparse.Namespace) -> int:
    client = client_from(args)
    choice = choose_experiment(client, args.experiment, args.experiment_id)
    if choice is None:
        fail(f"no experiment named {args.experiment!r}")
        return EXIT_FAILURE
    experiment_id = choice.experiment.experiment_id
    print(heading(choice))
    runs = client.search_runs([experiment_id], args.filter, ["attributes.start_time DESC"], args.max_results)
    rows = [
        [
            r.info.run_id,
            r.info.run_name,
            r.info.status,
            when(r.info.start_time),
            duration(r.info.start_time, r.info.end_time),
            " ".join(f"{k}={number(v)}" for k, v in sorted(r.data.metrics.items())[:4]),
        ]
        for r in runs
    ]
    print(table(["RUN ID", "NAME", "STATUS", "STARTED", "DURATION", "METRICS"], rows))
    return EXIT_OK


def show_run(args: argparse.Namespace) -> int:
    run = client_from(args).get_run(args.run_id)
    info = run.info
    print(
        table(
            ["FIELD", "VALUE"],
            [
                ["run_id", info.run_id],
                ["name", info.run_name],
                ["experiment_id", info.experiment_id],
                ["status", info.status],
                ["started", when(info.start_time)],
                ["ended", when(info.end_time)],
                ["duration", duration(info.start_time, info.end_time)],
                ["artifact_uri", info.artifact_uri],
            ],
        )
    )
    for title, values in (("PARAM", run.data.params), ("METRIC", run.data.metrics), ("TAG", run.data.tags)):
        if values:
            print()
            print(
                table(
                    [title, "VALUE"],
                    [[k, number(v) if isinstance(v, float) else v] for k, v in sorted(values.items())],
                )
            )
    return EXIT_OK


def compare_runs(args: argparse.Namespace) -> int:
    client = client_from(args)
    runs = [client.get_run(run_id) for run_id in args.run_ids]
    print(table(["", *[_label(r) for r in runs]], _comparison_rows(runs)))
    if args.png:
        from trackway.cli.plot import plot_histories

        keys = args.metric or sorted({k for r in runs for k in r.data.metrics})
        histories: dict[str, dict[str, list[Metric]]] = {
            key: {_label(r): client.get_metric_history(r.info.run_id, key) for r in runs} for key in keys
        }
        plot_histories(histories, args.png)
        print(f"\nwrote {args.png}")
    return EXIT_OK


def _label(run: Run) -> str:
    return f"{run.info.run_name or '-'} ({run.info.run_id[:8]})"


def _comparison_rows(runs: list[Run]) -> list[list[object]]:
    rows: list[list[object]] = []
    for prefix, attr in (("param", "params"), ("metric", "metrics")):
        keys = sorted({k for r in runs for k in getattr(r.data, attr)})
        for key in keys:
            values = [getattr(r.data, attr).get(key) for r in runs]
            shown = ["-" if v is None else number(v) if isinstance(v, float) else v for v in values]
            differs = len({str(v) for v in values}) > 1
            rows.append([f"{'*' if differs else ' '} {prefix}.{key}", *shown])
    return rows
