"""Upload times of one file through the unmodified mlflow client, with and without trackway's plugin, next
to `mlflow server --serve-artifacts` on the same machine.

    python -m bench.plugin_uploads [--sizes-mb 25 600]

Each upload runs in a fresh child process (`--child`), so "without the plugin" is mlflow's registry as it
is when the plugin is not installed, and nothing is cached between measurements. One server at a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.targets import mlflow_server, trackway

MB = 1000 * 1000


def _child(url: str, path: str, plugin: bool) -> None:
    import mlflow
    import requests
    from mlflow.store.artifact import artifact_repository_registry as registry
    from mlflow.store.artifact.http_artifact_repo import HttpArtifactRepository
    from mlflow.store.artifact.mlflow_artifacts_repo import MlflowArtifactsRepository

    if not plugin:
        schemes = registry._artifact_repository_registry._registry
        schemes.update({"mlflow-artifacts": MlflowArtifactsRepository, "http": HttpArtifactRepository})
        schemes["https"] = HttpArtifactRepository
    client = mlflow.MlflowClient(url)
    run_id = client.create_run("0").info.run_id
    started = time.monotonic()
    try:
        client.log_artifact(run_id, path)
        outcome = "ok"
    except requests.HTTPError as exc:
        outcome = f"HTTP {exc.response.status_code}"
    print(json.dumps({"seconds": time.monotonic() - started, "outcome": outcome}))


def _measure(url: str, path: Path, plugin: bool) -> dict[str, object]:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"}
    command = [sys.executable, "-m", "bench.plugin_uploads", "--child", url, str(path)]
    mode = "plugin" if plugin else "stock"
    out = subprocess.run([*command, mode], check=False, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        return {"seconds": None, "outcome": f"failed: {out.stderr.strip().splitlines()[-1:]}"}
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _write(path: Path, size: int) -> None:
    with path.open("wb") as handle:
        for offset in range(0, size, 8 * 1024 * 1024):
            handle.write(os.urandom(min(8 * 1024 * 1024, size - offset)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[25, 600])
    parser.add_argument("--child", nargs=3, metavar=("URL", "FILE", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], args.child[1], args.child[2] == "plugin")
        return
    rows: list[tuple[str, int, dict[str, object]]] = []
    with tempfile.TemporaryDirectory(prefix="plugin-uploads-") as scratch:
        work = Path(scratch)
        files = {size: work / f"file-{size}mb.bin" for size in args.sizes_mb}
        for size, path in files.items():
            _write(path, size * MB)
        with trackway(work) as target:
            _measure(target.url, files[min(files)], plugin=True)  # warm the workers up
            for size, path in files.items():
                rows.append(("trackway + plugin", size, _measure(target.url, path, plugin=True)))
                rows.append(("trackway, stock client", size, _measure(target.url, path, plugin=False)))
        with mlflow_server("mlflow", f"sqlite:///{work / 'mlflow.db'}", work, "mlflow server") as target:
            _measure(target.url, files[min(files)], plugin=False)
            for size, path in files.items():
                rows.append(("mlflow server --serve-artifacts", size, _measure(target.url, path, plugin=False)))
    print("| target | size | upload time | outcome |\n|-|-|-|-|")
    for name, size, result in rows:
        seconds = result["seconds"]
        shown = f"{seconds:.2f} s" if isinstance(seconds, float) else "-"
        print(f"| {name} | {size} MB | {shown} | {result['outcome']} |")


if __name__ == "__main__":
    main()
