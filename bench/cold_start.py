"""Import time of each handler module against `import boto3` alone (cold-start proxy).

Each import runs in a fresh interpreter; medians of repeated runs. Run: `.venv/bin/python -m bench.cold_start`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

MODULES = [
    "boto3",
    "trackway_backend.handlers.tracking",
    "trackway_backend.handlers.registry",
    "trackway_backend.handlers.artifacts",
    "trackway_backend.handlers.publisher",
    "trackway_backend.handlers.approval",
    "trackway_backend.handlers.deployment",
    "trackway_backend.handlers.serving",
]


def import_seconds(module: str, repeats: int) -> float | None:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, check=False)
        if done.returncode != 0:
            return None
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main(repeats: int = 11) -> dict[str, object]:
    interpreter = statistics.median(_timed([sys.executable, "-c", "pass"]) for _ in range(repeats))
    results: dict[str, object] = {"interpreter_s": round(interpreter, 3)}
    boto3_time = import_seconds("boto3", repeats)
    for module in MODULES:
        seconds = boto3_time if module == "boto3" else import_seconds(module, repeats)
        if seconds is None:
            continue
        results[module] = {
            "seconds": round(seconds, 3),
            "ratio_to_boto3": round(seconds / boto3_time, 2) if boto3_time else None,
        }
    return results


def _timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, capture_output=True, check=False)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
