"""Monthly AWS cost of trackway for a team, from MEASURED units (bench/cost_units.py) and list prices.

Prints the arithmetic as markdown (bench/COST.md quotes it). Run:
`.venv/bin/python -m bench.cost_model` (measures first when bench/out/cost_units.json is missing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UNITS_FILE = Path(__file__).with_name("out") / "cost_units.json"

# us-east-1 on-demand list prices (USD), as given in issue 8 / the AWS pricing pages; verify before quoting.
PRICES = {
    "dynamodb_wru_per_million": 0.625,
    "dynamodb_rru_per_million": 0.125,
    "dynamodb_storage_gb_month": 0.25,
    "dynamodb_pitr_gb_month": 0.20,
    "lambda_gb_second_arm64": 0.0000133334,
    "lambda_requests_per_million": 0.20,
    "api_gateway_http_per_million": 1.00,
    "s3_standard_gb_month": 0.023,
    "s3_put_per_thousand": 0.005,
    "s3_get_per_thousand": 0.0004,
    "eventbridge_per_million": 1.00,
    "cloudwatch_logs_ingest_gb": 0.50,
}

DAYS = 30
RUNS_PER_MONTH = 200 * DAYS
METRICS, STEPS = 50, 1_000
SEARCHES_PER_MONTH = 2_000 * DAYS
RUNS_PER_SEARCHED_EXPERIMENT = 1_000
RUN_VIEWS_PER_MONTH = 1_000 * DAYS  # UI run pages, each: get run + 10 metric charts of 1,000 points
CHARTS_PER_VIEW = 10
ARTIFACT_GB_PER_MONTH = 20
ARTIFACT_FILES_PER_MONTH = 1_000  # 20 MB on average: create + 2 parts + complete = 4 PUT-class requests
ARTIFACT_DOWNLOADS_PER_FILE = 3
LAMBDA_GB = 1.0  # tracking function memory (infra/trackway_infra/functions.py)
LOG_KB_PER_INVOCATION = 1.0  # START/END/REPORT lines plus one structured INFO line
ITEM_OVERHEAD_BYTES = 100  # DynamoDB bills 100 bytes of index overhead per item
INDEX_ENTRY_BYTES = 200  # a keys-only gsi1 entry: pk, sk, gsi1pk, gsi1sk of a run summary
MONTHS_KEPT = 12
# Assumed Lambda durations (ms) at 1,024 MB on arm64: sequential DynamoDB calls at ~5-10 ms each plus JSON work.
DURATION_MS = {"batch": 120, "step": 40, "point": 25, "lifecycle": 30, "search": 400, "get_run": 15, "history": 30}


@dataclass(frozen=True)
class Style:
    name: str
    requests_per_run: int  # logging requests for 50 metrics x 1,000 steps
    units_key: str  # the cost_units.json entry of one logging request
    duration_key: str
    history_key: str  # how a 1,000-point metric reads back (chunked by batch or one point per item)


STYLES = [
    Style(
        "trackway SDK, 1,000-point batches",
        METRICS * STEPS // 1_000,
        "log_batch_1000_points_50_keys",
        "batch",
        "get_history_1000_points_batched",
    ),
    Style(
        "mlflow.log_metrics, one request per step (50 metrics)",
        STEPS,
        "log_batch_one_step_50_keys",
        "step",
        "get_history_1000_points_per_step",
    ),
    Style(
        "mlflow.log_metric, one request per point",
        METRICS * STEPS,
        "log_metric_1_point",
        "point",
        "get_history_1000_points_per_call",
    ),
]


def monthly(units: dict[str, Any], style: Style, months_kept: int = 1) -> list[tuple[str, str, float]]:
    """(item, arithmetic, USD) lines for one month; storage as after `months_kept` months of data."""
    p = PRICES
    log = units[style.units_key]
    lifecycle = [units["create_run"], units["log_params_and_tags"], units["finish_run"]]
    runs = RUNS_PER_MONTH
    logging_requests = runs * style.requests_per_run
    lifecycle_requests = runs * len(lifecycle)
    history_reads = RUN_VIEWS_PER_MONTH * CHARTS_PER_VIEW
    requests = logging_requests + lifecycle_requests + SEARCHES_PER_MONTH + RUN_VIEWS_PER_MONTH + history_reads
    wru = logging_requests * log["write_units"] + runs * sum(u["write_units"] for u in lifecycle)
    search_rru = SEARCHES_PER_MONTH * units["search_runs"]["read_units_per_run"] * RUNS_PER_SEARCHED_EXPERIMENT
    view_rru = (
        RUN_VIEWS_PER_MONTH * units["get_run"]["read_units"] + history_reads * units[style.history_key]["read_units"]
    )
    write_rru = logging_requests * log["read_units"] + runs * sum(u["read_units"] for u in lifecycle)
    rru = search_rru + view_rru + write_rru
    summary_bytes = units["summary_item_bytes"]  # rewritten by every logging request; stored once
    mark_bytes = units.get("mark_item_bytes", 0)  # the shard's change mark (ADR 015): overwritten, not kept
    written_items = log["items_written"] - 1 - (1 if mark_bytes else 0)
    history_bytes = log["bytes_written"] - summary_bytes - mark_bytes + ITEM_OVERHEAD_BYTES * written_items
    index_bytes = INDEX_ENTRY_BYTES + ITEM_OVERHEAD_BYTES  # the summary's keys-only gsi1 entry
    gb_per_month = (
        runs * (style.requests_per_run * history_bytes + summary_bytes + ITEM_OVERHEAD_BYTES + index_bytes) / 1e9
    )
    stored_gb = gb_per_month * months_kept
    gb_seconds = (
        LAMBDA_GB
        / 1000
        * (
            logging_requests * DURATION_MS[style.duration_key]
            + lifecycle_requests * DURATION_MS["lifecycle"]
            + SEARCHES_PER_MONTH * DURATION_MS["search"]
            + RUN_VIEWS_PER_MONTH * DURATION_MS["get_run"]
            + history_reads * DURATION_MS["history"]
        )
    )
    artifact_gb = ARTIFACT_GB_PER_MONTH * months_kept
    puts, gets = ARTIFACT_FILES_PER_MONTH * 4, ARTIFACT_FILES_PER_MONTH * ARTIFACT_DOWNLOADS_PER_FILE * 2
    events = runs + 500  # run.finished, plus registry changes
    return [
        (
            "API Gateway requests",
            f"{requests / 1e6:,.2f} M x ${p['api_gateway_http_per_million']}/M",
            requests / 1e6 * p["api_gateway_http_per_million"],
        ),
        (
            "Lambda requests",
            f"{requests / 1e6:,.2f} M x ${p['lambda_requests_per_million']}/M",
            requests / 1e6 * p["lambda_requests_per_million"],
        ),
        (
            "Lambda duration",
            f"{gb_seconds:,.0f} GB-s x ${p['lambda_gb_second_arm64']}",
            gb_seconds * p["lambda_gb_second_arm64"],
        ),
        (
            "DynamoDB writes",
            f"{wru / 1e6:,.2f} M WRU x ${p['dynamodb_wru_per_million']}/M",
            wru / 1e6 * p["dynamodb_wru_per_million"],
        ),
        (
            "DynamoDB reads",
            f"{rru / 1e6:,.2f} M RRU (search {search_rru / 1e6:,.2f} M, UI {view_rru / 1e6:,.2f} M, "
            f"writes {write_rru / 1e6:,.2f} M) x ${p['dynamodb_rru_per_million']}/M",
            rru / 1e6 * p["dynamodb_rru_per_million"],
        ),
        (
            "DynamoDB storage",
            f"{stored_gb:,.1f} GB ({gb_per_month:,.2f} GB/month x {months_kept}) x ${p['dynamodb_storage_gb_month']}",
            stored_gb * p["dynamodb_storage_gb_month"],
        ),
        (
            "DynamoDB PITR",
            f"{stored_gb:,.1f} GB x ${p['dynamodb_pitr_gb_month']}",
            stored_gb * p["dynamodb_pitr_gb_month"],
        ),
        ("S3 storage", f"{artifact_gb} GB x ${p['s3_standard_gb_month']}", artifact_gb * p["s3_standard_gb_month"]),
        (
            "S3 requests",
            f"{puts:,} PUT x ${p['s3_put_per_thousand']}/1k + {gets:,} GET x ${p['s3_get_per_thousand']}/1k",
            puts / 1000 * p["s3_put_per_thousand"] + gets / 1000 * p["s3_get_per_thousand"],
        ),
        (
            "EventBridge",
            f"{events:,} events x ${p['eventbridge_per_million']}/M",
            events / 1e6 * p["eventbridge_per_million"],
        ),
        (
            "CloudWatch Logs",
            f"{requests * LOG_KB_PER_INVOCATION / 1e6:,.2f} GB x ${p['cloudwatch_logs_ingest_gb']}",
            requests * LOG_KB_PER_INVOCATION / 1e6 * p["cloudwatch_logs_ingest_gb"],
        ),
    ]


BUDGETS = [  # ADR 010: (cost_units.json "budgets" entry, operation, requests at most, WRU at most)
    ("log_batch_500_distinct_keys", "log_batch with 500 distinct keys, one point each", 5, None),
    ("log_metric_1_point", "one log_metric call", None, 4),
    ("log_metrics_one_step_50_keys", "one step of 50 metrics (log_metrics)", None, 10),
    ("log_batch_1000_points_10_keys", "1,000 points over 10 keys", 3, 40),
]


def budgets_markdown(units: dict[str, Any]) -> str:
    rows = ["| operation | budget | requests | WRU | within |", "|---|---|---|---|---|"]
    for key, operation, max_requests, max_wru in BUDGETS:
        counted = units["budgets"][key]
        limits = [f"<= {max_requests} requests" if max_requests else "", f"<= {max_wru} WRU" if max_wru else ""]
        within = (max_requests is None or counted["requests"] <= max_requests) and (
            max_wru is None or counted["write_units"] <= max_wru
        )
        rows.append(
            f"| {operation} | {' and '.join(x for x in limits if x)} | {counted['requests']:g} "
            f"| {counted['write_units']:g} | {'yes' if within else '**NO**'} |"
        )
    return "\n".join(rows)


def markdown(units: dict[str, Any]) -> str:
    sections = ["### Write budgets (ADR 010)\n\n" + budgets_markdown(units)]
    for style in STYLES:
        for months in (1, MONTHS_KEPT):
            lines = monthly(units, style, months)
            total = sum(cost for _, _, cost in lines)
            rows = [f"| {item} | {formula} | ${cost:,.2f} |" for item, formula, cost in lines]
            title = f"### {style.name}: month {months}" + (" (a year of data kept)" if months > 1 else "")
            table = "\n".join(
                ["| item | arithmetic | USD/month |", "|---|---|---|", *rows, f"| **total** | | **${total:,.2f}** |"]
            )
            sections.append(f"{title}\n\n{table}")
    return "\n\n".join(sections)


def load_units() -> dict[str, Any]:
    if not UNITS_FILE.exists():
        from bench import cost_units

        return cost_units.main()
    return json.loads(UNITS_FILE.read_text())  # type: ignore[no-any-return]


if __name__ == "__main__":
    print(markdown(load_units()))
