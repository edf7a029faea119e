"""Import time of each handler module against `import boto3` alone (cold-start proxy).

Each import runs in a fresh interpreter. The modules are measured in interleaved rounds, so a burst of load
on a shared machine hits them alike, and each figure is the median over the rounds. Two clocks are kept:
wall time, and the CPU time (user + system) of the child, which other load on the machine disturbs far less
than wall time. The ratio to `import boto3` is taken on CPU time; on an idle machine the two agree, since an
import does no I/O waits worth counting. The child's CPU time runs from interpreter start to exit; the child
also reports the CPU time of the import alone (`import_ratio_to_boto3`), which is what a Lambda init pays:
it never runs the interpreter's exit, where frozen objects (docs/adr/014-cold-start.md) save work too.

The handlers are imported from the function code as the stack ships it: a copy of `functions/` compiled to
bytecode the way infra/trackway_infra/bundling.py compiles the code asset (Lambda's /var/task is read-only,
so source without bytecode is compiled again on every cold start). One more row imports the tracking handler
from source with bytecode writing off, as the code asset shipped before it carried bytecode. Children never
write bytecode (`-B`), so a run leaves nothing behind and the figures do not depend on `PYTHONDONTWRITEBYTECODE`.

`--first-request` also times, in one fresh interpreter per round, the tracking handler's import, its first
event (configure: settings, table binding, the default experiment; then a `experiments/create`) and a second
event, on CPU time, against in-process moto: what a cold start does after the import, and whether anything
taken out of the import came back in the first request. Moto's own work is in those figures, so compare
them with each other, not with a deployed function.

Run: `.venv/bin/python -m bench.cold_start [--first-request]`.
"""

from __future__ import annotations

import compileall
import json
import os
import py_compile
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parents[1] / "functions"
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
SOURCE_ONLY = "trackway_backend.handlers.tracking (source, no bytecode)"
# The child also times the import alone: the whole-process clock includes the interpreter's exit, which a
# Lambda init never pays.
IMPORT = "import time; started = time.process_time(); import {}; print(time.process_time() - started)"
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".*")


@contextmanager
def code_assets() -> Iterator[tuple[str, str]]:
    """(compiled, source-only) copies of the function code, as `PYTHONPATH` entries."""
    with tempfile.TemporaryDirectory(prefix="trackway-cold-") as root:
        compiled, source = Path(root, "compiled"), Path(root, "source")
        shutil.copytree(FUNCTIONS_DIR, compiled, ignore=CACHES)
        shutil.copytree(FUNCTIONS_DIR, source, ignore=CACHES)
        invalidation = py_compile.PycInvalidationMode.UNCHECKED_HASH
        if not compileall.compile_dir(compiled, quiet=1, invalidation_mode=invalidation):
            raise RuntimeError("the function code did not compile")
        yield str(compiled), str(source)


def timed(code: str, path: str | None = None) -> tuple[float, float, float] | None:
    """(wall seconds, child CPU seconds, CPU seconds the child printed) of `python -B -c code`, or None when it
    fails."""
    environment = dict(os.environ)
    if path is not None:
        environment["PYTHONPATH"] = path
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-B", "-c", code], capture_output=True, check=False, env=environment)
    wall = time.perf_counter() - started
    after = os.times()
    if done.returncode != 0:
        return None
    inside = float(done.stdout or 0)
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system), inside


def main(repeats: int = 11) -> dict[str, object]:
    with code_assets() as (compiled, source):
        runs = {
            "": ("pass", None),
            **{name: (IMPORT.format(name), compiled) for name in MODULES},
            SOURCE_ONLY: (IMPORT.format("trackway_backend.handlers.tracking"), source),
        }
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
        for _ in range(repeats):
            for name, (code, path) in runs.items():
                if (sample := timed(code, path)) is not None:
                    samples[name].append(sample)
    interpreter = samples.pop("")
    results: dict[str, object] = {"interpreter_s": round(statistics.median(s[0] for s in interpreter), 3)}
    boto3_cpu = statistics.median(s[1] for s in samples["boto3"])
    boto3_import = statistics.median(s[2] for s in samples["boto3"])
    for module, measured in samples.items():
        if not measured:
            continue
        cpu = statistics.median(s[1] for s in measured)
        import_cpu = statistics.median(s[2] for s in measured)
        results[module] = {
            "seconds": round(statistics.median(s[0] for s in measured), 3),
            "cpu_seconds": round(cpu, 3),
            "ratio_to_boto3": round(cpu / boto3_cpu, 2) if boto3_cpu else None,
            "import_cpu_seconds": round(import_cpu, 3),
            "import_ratio_to_boto3": round(import_cpu / boto3_import, 2) if boto3_import else None,
        }
    return results


FIRST_REQUEST = """
import json, sys, time
from pathlib import Path
start = time.process_time()
import trackway_backend.handlers.tracking as entry
imported = time.process_time()
from moto import mock_aws
from tests.integration.conftest import Context, api_event
from trackway_backend.adapters.dynamo.access_store import GrantItem
from trackway_backend.adapters.dynamo.outbox import OutboxItem
from trackway_backend.adapters.dynamo.tables import bind, bind_tracking, create_missing
from trackway_backend.adapters.dynamo.tracking_items import TrackingItem
mock_aws().start()
settings = entry.TrackingSettings.from_env()
bind_tracking(settings.tracking_table, settings.outbox_table, settings)
bind(GrantItem, settings.access_table, settings)
create_missing(TrackingItem, OutboxItem, GrantItem)
for model in (TrackingItem, OutboxItem, GrantItem):
    model._connection = None  # the first request builds its own DynamoDB client, as in Lambda
path = "/api/2.0/mlflow/experiments/create"
times = [time.process_time()]
for name in ("first", "second"):
    response = entry.handler(api_event("POST", path, {"name": name}), Context())
    assert response["statusCode"] == 200, response
    times.append(time.process_time())
print(json.dumps([imported - start, times[1] - times[0], times[2] - times[1]]))
"""


def first_request(repeats: int = 5) -> dict[str, float]:
    """Medians of (import, first event, second event) CPU seconds of the tracking handler on moto."""
    from tests.support.event_capture import ENVIRONMENT

    rounds: list[list[float]] = []
    with code_assets() as (compiled, _):
        root = str(FUNCTIONS_DIR.parent)
        environment = {**os.environ, **ENVIRONMENT, "PYTHONPATH": os.pathsep.join((compiled, root))}
        for _ in range(repeats):
            command = [sys.executable, "-B", "-c", FIRST_REQUEST]
            done = subprocess.run(command, capture_output=True, text=True, check=True, env=environment)
            rounds.append(json.loads(done.stdout))
    names = ("import_cpu_s", "first_event_cpu_s", "second_event_cpu_s")
    return {name: round(statistics.median(r[i] for r in rounds), 3) for i, name in enumerate(names)}


if __name__ == "__main__":
    if "--first-request" in sys.argv[1:]:
        print(json.dumps(first_request(), indent=2))
    else:
        print(json.dumps(main(), indent=2))
