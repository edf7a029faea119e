"""A throwaway PostgreSQL cluster for mlflow server: temp dir, 127.0.0.1 only, a free port, trust auth.

PostgreSQL refuses to run as root, so when the benchmark runs as root (CI, containers) the cluster runs as
`nobody` in a directory handed to that user.
"""

from __future__ import annotations

import glob
import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trackway_backend.local.process import free_port

_UNPRIVILEGED = "nobody"


def binaries() -> Path | None:
    """The directory holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    on_path = shutil.which("initdb")
    candidates = [str(Path(on_path).resolve().parent)] if on_path else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def unavailable_reason() -> str | None:
    if binaries() is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found"
    if importlib.util.find_spec("psycopg2") is None:
        return "psycopg2 is not installed (it is in pyproject's dev group: `make install`)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(_UNPRIVILEGED)
        except KeyError:
            return f"running as root and there is no '{_UNPRIVILEGED}' user to run PostgreSQL as"
    return None


@contextmanager
def cluster(parent: Path | None = None) -> Iterator[str]:
    """Start a cluster with database `mlflow`; yields its SQLAlchemy URL; stops it and deletes it on exit."""
    directory = binaries()
    assert directory is not None, "call unavailable_reason() first"
    root = Path(tempfile.mkdtemp(prefix="trackway-bench-pg-", dir=parent))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        user = pwd.getpwnam(_UNPRIVILEGED)
        os.chown(root, user.pw_uid, user.pw_gid)
        if parent is not None:  # mkdtemp makes 0700 directories: let the server's user pass through
            parent.chmod(parent.stat().st_mode | 0o011)
        run_as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    data, port = root / "data", free_port()

    def pg(*args: str) -> None:
        subprocess.run([str(directory / args[0]), *args[1:]], check=True, capture_output=True, cwd=root, **run_as)

    started = False
    try:
        pg("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-c listen_addresses=127.0.0.1 -p {port} -k {root}"
        pg("pg_ctl", "-D", str(data), "-l", str(root / "postgres.log"), "-o", options, "-w", "-t", "60", "start")
        started = True
        _create_database(port, "mlflow")
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow"  # SQLAlchemy 2.1 defaults to psycopg 3
    finally:
        if started:
            pg("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def _create_database(port: int, name: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
