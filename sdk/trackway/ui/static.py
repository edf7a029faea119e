"""MLflow's built web UI, served from the installed `mlflow` package (the `ui` extra): never copied here."""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path

from trackway.errors import ConfigurationError

_INSTALL_HINT = "the MLflow UI is not installed: pip install 'trackway[ui]' (it brings mlflow's built UI)"


def find_build_dir() -> Path:
    """`mlflow/server/js/build` of the installed mlflow package, located without importing mlflow."""
    spec = importlib.util.find_spec("mlflow")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(_INSTALL_HINT)
    for location in spec.submodule_search_locations:
        build = Path(location) / "server" / "js" / "build"
        if (build / "index.html").is_file():
            return build
    raise ConfigurationError(f"{_INSTALL_HINT}; this mlflow has no server/js/build (mlflow-skinny?)")


class StaticFiles:
    """Files of the build by relative path, refusing anything outside it."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def index(self) -> bytes:
        return (self.root / "index.html").read_bytes()

    def find(self, relative: str) -> Path | None:
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    @staticmethod
    def content_type(path: Path) -> str:
        guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if guessed.startswith("text/") or guessed in ("application/javascript", "application/json"):
            return f"{guessed}; charset=utf-8"
        return guessed
