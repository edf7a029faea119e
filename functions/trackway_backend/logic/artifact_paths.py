"""Artifact paths: normalised, checked, and tied to the run or logged model whose root holds them.

A path is relative to `mlflow-artifacts:/` and is also the S3 key (docs/adr/003-artifact-key-layout.md):
`<experiment>/<run_id>/artifacts/<file>` for a run, `<experiment>/models/<model_id>/artifacts/<file>`
for a logged model. Anything that could climb out of that root is refused before a key is formed:
`..`, absolute paths, backslashes, control characters, and percent-escapes that decode to any of those.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote, urlsplit

from trackway_backend.errors import InvalidParameter

MAX_KEY_BYTES = 1024  # S3's limit on a key
_RUN_ID = re.compile(r"[0-9a-f]{32}")
_MODEL_ID = re.compile(r"m-[0-9a-f]{32}")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_ROOT_MARKER = "artifacts"
_DECODE_ROUNDS = 10


class Owner(StrEnum):
    RUN = "run"
    LOGGED_MODEL = "logged model"


@dataclass(frozen=True)
class ArtifactPath:
    """A checked path: `key` lies under `root`, the artifact root of the run or logged model `owner_id`."""

    key: str
    root: str
    owner: Owner
    owner_id: str

    @property
    def is_root(self) -> bool:
        return self.key == self.root

    def child(self, name: str) -> ArtifactPath:
        return resolve(f"{self.key}/{name}")


def _invalid(path: str, why: str) -> InvalidParameter:
    return InvalidParameter(f"Invalid artifact path '{path}': {why}")


def _fully_decoded(path: str) -> str:
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(path)
        if decoded == path:
            return path
        path = decoded
    raise _invalid(path, "too many levels of percent-encoding")


def _check(original: str, form: str) -> None:
    if "\\" in form:
        raise _invalid(original, "backslashes are not allowed")
    if any(ord(char) < 32 or ord(char) == 127 for char in form) or "#" in form:
        raise _invalid(original, "control characters and '#' are not allowed")
    if form.startswith("/") or _WINDOWS_DRIVE.match(form):
        raise _invalid(original, "absolute paths are not allowed")
    if ".." in form.split("/"):
        raise _invalid(original, "'..' is not allowed")


def normalise(path: str) -> str:
    """`path` (percent-decoded once, as it arrives) without empty or `.` segments; raises on unsafe input.

    The fully decoded form is checked too, so `%2e%2e` or `%252e%252e` cannot smuggle a `..` past a
    later decoder.
    """
    for form in (path, _fully_decoded(path)):
        _check(path, form)
    normal = "/".join(segment for segment in path.split("/") if segment not in ("", "."))
    if not normal:
        raise _invalid(path, "a path is required")
    if len(normal.encode()) > MAX_KEY_BYTES:
        raise _invalid(path, f"longer than {MAX_KEY_BYTES} bytes")
    return normal


def resolve(path: str) -> ArtifactPath:
    """The checked path and the artifact root (`…/<run_id>/artifacts` or `…/models/<id>/artifacts`)
    that contains it; a path outside every root is refused."""
    normal = normalise(path)
    segments = normal.split("/")
    for index in range(1, len(segments)):
        if segments[index] != _ROOT_MARKER:
            continue
        candidate = segments[index - 1]
        if index >= 2 and segments[index - 2] == "models" and _MODEL_ID.fullmatch(candidate):
            owner = Owner.LOGGED_MODEL
        elif _RUN_ID.fullmatch(candidate):
            owner = Owner.RUN
        else:
            continue
        return ArtifactPath(normal, "/".join(segments[: index + 1]), owner, candidate)
    raise _invalid(
        path,
        "it is not inside a run's or logged model's artifact root "
        "(<experiment>/<run_id>/artifacts or <experiment>/models/<model_id>/artifacts)",
    )


def root_of(artifact_uri: str) -> str | None:
    """The path below `mlflow-artifacts:/` of an owner's artifact URI, or None for any other scheme."""
    parts = urlsplit(artifact_uri)
    if parts.scheme != "mlflow-artifacts":
        return None
    return parts.path.strip("/")


def file_name(path: str) -> str:
    """The base name of a client-side path (MLflow clients before 3.18 send the full local path)."""
    name = re.split(r"[/\\]", path)[-1]
    if name in ("", ".", ".."):
        raise _invalid(path, "the upload needs a file name")
    return name
