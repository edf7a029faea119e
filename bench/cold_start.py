"""Import time of each handler module against `import boto3` alone (cold-start proxy).

Each import runs in a fresh interpreter. The modules are measured in interleaved rounds, so a burst of load
on a shared machine hits them alike, and each figure is the median over the rounds. Two clocks are kept:
wall time, and the CPU time (user + system) of the child, which other load on the machine disturbs far less
than wall time. The ratio to `import boto3` is taken on CPU time; on an idle machine the two agree, since an
import does no I/O waits worth counting.

Run: `.venv/bin/python -m bench.cold_start`.
"""

from __future__ import annotations

import json
import os
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


def timed(code: str) -> tuple[float, float] | None:
    """(wall seconds, child CPU seconds) of `python -c code`, or None when it fails."""
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        return None
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main(repeats: int = 11) -> dict[str, object]:
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in ["", *MODULES]}
    for _ in range(repeats):
        for name, measured in samples.items():
            if (sample := timed(f"import {name}" if name else "pass")) is not None:
                measured.append(sample)
    interpreter = samples.pop("")
    results: dict[str, object] = {"interpreter_s": round(statistics.median(s[0] for s in interpreter), 3)}
    boto3_cpu = statistics.median(s[1] for s in samples["boto3"])
    for module, measured in samples.items():
        if not measured:
            continue
        cpu = statistics.median(s[1] for s in measured)
        results[module] = {
            "seconds": round(statistics.median(s[0] for s in measured), 3),
            "cpu_seconds": round(cpu, 3),
            "ratio_to_boto3": round(cpu / boto3_cpu, 2) if boto3_cpu else None,
        }
    return results


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
