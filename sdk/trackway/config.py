"""SDK settings, read from the environment once at an entry point (never at import time)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from trackway.errors import ConfigurationError
from trackway.retry import RetryPolicy

_TRUE = {"1", "true", "yes", "on"}


def _flag(env: Mapping[str, str], *names: str) -> bool:
    return any(env.get(name, "").strip().lower() in _TRUE for name in names)


def _first(env: Mapping[str, str], *names: str) -> str | None:
    for name in names:
        if env.get(name):
            return env[name]
    return None


def process_rank(env: Mapping[str, str]) -> int:
    """This process's rank in a distributed job: RANK, else LOCAL_RANK, else common launcher variables."""
    for name in ("RANK", "LOCAL_RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK"):
        value = env.get(name, "").strip()
        if value.lstrip("-").isdigit():
            return int(value)
    return 0


@dataclass(frozen=True)
class Settings:
    """Everything the SDK can be configured with. Build it with `Settings.from_env()`."""

    tracking_uri: str | None = None
    experiment_name: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    sigv4: bool = False
    aws_region: str | None = None
    home: Path = field(default_factory=lambda: Path.home() / ".trackway")
    spool_dir: Path | None = None
    rank: int = 0
    world_size: int = 1
    all_ranks: bool = False
    flush_interval: float = 2.0
    probe_interval: float = 5.0
    exit_timeout: float = 15.0
    http_timeout: float = 60.0
    insecure_tls: bool = False
    handle_signals: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read TRACKWAY_* variables, falling back to their MLFLOW_* equivalents."""
        env = os.environ if env is None else env
        home = Path(env["TRACKWAY_HOME"]) if env.get("TRACKWAY_HOME") else Path.home() / ".trackway"
        spool = env.get("TRACKWAY_SPOOL_DIR")
        return cls(
            tracking_uri=_first(env, "TRACKWAY_TRACKING_URI", "MLFLOW_TRACKING_URI"),
            experiment_name=_first(env, "TRACKWAY_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME"),
            token=_first(env, "TRACKWAY_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN"),
            username=_first(env, "TRACKWAY_TRACKING_USERNAME", "MLFLOW_TRACKING_USERNAME"),
            password=_first(env, "TRACKWAY_TRACKING_PASSWORD", "MLFLOW_TRACKING_PASSWORD"),
            sigv4=_flag(env, "TRACKWAY_AWS_SIGV4", "MLFLOW_TRACKING_AWS_SIGV4"),
            aws_region=_first(env, "TRACKWAY_AWS_REGION", "AWS_REGION", "AWS_DEFAULT_REGION"),
            home=home,
            spool_dir=Path(spool) if spool else None,
            rank=process_rank(env),
            world_size=int(env.get("WORLD_SIZE", "1") or 1),
            all_ranks=_flag(env, "TRACKWAY_LOG_ALL_RANKS"),
            flush_interval=float(env.get("TRACKWAY_FLUSH_INTERVAL", 2.0)),
            exit_timeout=float(env.get("TRACKWAY_EXIT_FLUSH_TIMEOUT", 15.0)),
            http_timeout=float(env.get("TRACKWAY_HTTP_TIMEOUT", 60.0)),
            insecure_tls=_flag(env, "TRACKWAY_INSECURE_TLS", "MLFLOW_TRACKING_INSECURE_TLS"),
            handle_signals=env.get("TRACKWAY_HANDLE_SIGNALS", "1").strip().lower() in _TRUE,
            retry=RetryPolicy(max_attempts=int(env.get("TRACKWAY_MAX_ATTEMPTS", 6))),
        )

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some fields replaced; unknown names raise ConfigurationError."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ConfigurationError(f"unknown setting(s): {', '.join(unknown)}")
        return replace(self, **overrides)

    @property
    def spool_path(self) -> Path:
        """Where unsent batches wait: TRACKWAY_SPOOL_DIR, else `<home>/spool`."""
        return self.spool_dir or self.home / "spool"

    @property
    def uploads_path(self) -> Path:
        """Where resumable multipart uploads keep their progress."""
        return self.home / "uploads"

    @property
    def logs_enabled(self) -> bool:
        """True on rank 0, or on every rank when all_ranks is set."""
        return self.all_ranks or self.rank == 0

    def require_uri(self) -> str:
        if not self.tracking_uri:
            raise ConfigurationError("no tracking URI: call trackway.set_tracking_uri() or set TRACKWAY_TRACKING_URI")
        return self.tracking_uri.rstrip("/")
