"""results.json → a markdown table of p50, p95, throughput and the trackway / mlflow ratios."""

from __future__ import annotations

import statistics
from typing import Any

BASELINE = "trackway"


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "—"
    if "not_measured" in result:
        return "not measured"
    if "error" in result:
        return "error"
    if "wrong" in result:
        return "WRONG"
    return f"{result['p50_ms']:,.1f} / {result['p95_ms']:,.1f}"


def _throughput(key: str, result: dict[str, Any] | None, artifact_mb: int) -> str:
    if not result or "p50_ms" not in result:
        return "—"
    if key.startswith("artifact"):
        return f"{artifact_mb / (result['p50_ms'] / 1000):,.0f} MB/s"
    return f"{result['ops_per_s']:,.1f}/s"


def _ratio(numerator: float | None, denominator: float | None) -> str:
    if not numerator or not denominator:
        return "—"
    return f"{numerator / denominator:.2f}"


def _value(result: dict[str, Any] | None, field: str) -> float | None:
    return result.get(field) if result else None


def table(results: dict[str, Any]) -> str:
    targets = list(results["targets"])
    others = [name for name in targets if name != BASELINE] if BASELINE in targets else []
    artifact_mb = results["sizes"]["artifact_mb"]
    header = ["workload", "clients"]
    for name in targets:
        header += [f"{name} p50 / p95 ms", f"{name} throughput"]
    header += [f"p50 {BASELINE} ÷ {name}" for name in others]
    header += [f"throughput {BASELINE} ÷ {name}" for name in others]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for key, title in results["titles"].items():
        by_target = {name: results["targets"][name]["workloads"].get(key) for name in targets}
        clients = next((r["clients"] for r in by_target.values() if r and "clients" in r), "")
        row = [title, str(clients)]
        for name in targets:
            row += [_cell(by_target[name]), _throughput(key, by_target[name], artifact_mb)]
        mine = by_target.get(BASELINE)
        row += [_ratio(_value(mine, "p50_ms"), _value(by_target[name], "p50_ms")) for name in others]
        row += [_ratio(_value(mine, "ops_per_s"), _value(by_target[name], "ops_per_s")) for name in others]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def notes(results: dict[str, Any]) -> str:
    """Workloads that were not measured or failed, with the reason."""
    lines = []
    for name, target in results["targets"].items():
        for key, result in target["workloads"].items():
            for kind in ("not_measured", "error", "wrong"):
                if result and kind in result:
                    title = results["titles"].get(key, key)
                    lines.append(f"- {name} / {title}: {kind.replace('_', ' ')}: {result[kind]}")
    for name, reason in results.get("skipped_targets", {}).items():
        lines.append(f"- {name}: skipped: {reason}")
    return "\n".join(lines)


def noise(results: dict[str, Any]) -> str:
    """Median spread of per-repetition p50s, (max - min) / median, per target; plus the load average."""
    parts = []
    for name, target in results["targets"].items():
        spreads = []
        for result in target["workloads"].values():
            p50s = [r["p50_ms"] for r in (result or {}).get("per_repetition", [])]
            if len(p50s) > 1 and statistics.median(p50s):
                spreads.append((max(p50s) - min(p50s)) / statistics.median(p50s))
        if spreads:
            parts.append(f"{name}: median spread {statistics.median(spreads):.0%}, max {max(spreads):.0%}")
    load = results.get("load", {})
    parts.append(f"load average (1/5/15 min) before {load.get('before')}, after {load.get('after')}")
    return "; ".join(parts)


def floors(results: dict[str, Any]) -> str:
    """GET /health on a kept-alive connection vs a new one: the per-request floor each server imposes."""
    parts = []
    for name, target in results["targets"].items():
        if probe := target.get("connection_probe"):
            parts.append(f"{name} {probe['keep_alive_ms']:.1f} ms kept-alive / {probe['new_connection_ms']:.1f} ms new")
    return "; ".join(parts)


def cold_starts(results: dict[str, Any]) -> str:
    cold = results.get("cold_start")
    if not cold:
        return ""
    lines = ["| module | import wall s (median) | import CPU s (median) | CPU ÷ import boto3 |", "|---|---|---|---|"]
    for module, value in cold.items():
        if isinstance(value, dict):
            cpu = value.get("cpu_seconds", "-")
            lines.append(f"| {module} | {value['seconds']:.3f} | {cpu} | {value['ratio_to_boto3']} |")
    return "\n".join([*lines, f"\nbare interpreter start: {cold.get('interpreter_s')} s"])


def markdown(results: dict[str, Any]) -> str:
    sections = [
        f"# trackway vs mlflow server ({results['mode']} run, {results['generated']})",
        "p50 / p95 latency in ms, medians over repetitions; throughput = completed operations per second of wall "
        "time (all clients together). Ratios: p50 below 1 and throughput above 1 mean trackway is faster.",
        table(results),
        "Noise: " + noise(results),
        "Request floor (GET /health, median): " + floors(results),
    ]
    if text := cold_starts(results):
        sections += ["Cold start (import time of each handler module in a fresh interpreter):", text]
    if text := notes(results):
        sections += ["Not measured / errors:", text]
    return "\n\n".join(sections) + "\n"
