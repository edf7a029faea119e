"""`python -m trackway_infra.layer_sizes` (from infra/): what each layer measures, for real.

Runs the layers' own pip command (network: PyPI) into temporary directories, prunes as bundling does, and
prints the unzipped bytes Lambda counts against its 262,144,000-byte limit for code plus layers.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from trackway_infra.bundling import (
    LAMBDA_UNZIPPED_LIMIT,
    code_bytes,
    pip_arguments,
    project_dependencies,
    prune,
    serving_dependencies,
    tree_bytes,
)


def measure(python_version: str) -> dict[str, int]:
    """Build each layer for real (network) and return its unzipped bytes after pruning; no size check."""
    sizes = {}
    for name, requirements in (("dependency", project_dependencies()), ("serving", serving_dependencies())):
        with tempfile.TemporaryDirectory(prefix=f"trackway-{name}-layer-") as directory:
            target = Path(directory) / "python"
            command = [sys.executable, "-m", "pip", *pip_arguments(requirements, python_version, str(target))]
            subprocess.run(command, check=True, capture_output=True, text=True)
            unpruned = tree_bytes(Path(directory))
            prune(target)
            sizes[name] = tree_bytes(Path(directory))
            sizes[f"{name} (unpruned)"] = unpruned
    sizes["function code"] = code_bytes()
    return sizes


def main() -> None:
    """Build both layers with pip (needs PyPI) and measure them against Lambda's unzipped limit."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--python-version", default="3.14")
    args = parser.parse_args()
    sizes = measure(args.python_version)
    for name, size in sizes.items():
        print(f"{name:>28}: {size:>12,} bytes ({size / 1e6:.1f} MB)")
    for name in ("dependency", "serving"):
        total = sizes[name] + sizes["function code"]
        verdict = "fits" if total <= LAMBDA_UNZIPPED_LIMIT else "does NOT fit"
        print(f"{name} layer + code = {total:,} bytes: {verdict} in {LAMBDA_UNZIPPED_LIMIT:,}")


if __name__ == "__main__":
    main()
