"""MLflow's registry validation rules (mlflow/utils/validation.py), as plain functions."""

from __future__ import annotations

import posixpath
import re

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic import validation

MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 100_000
MAX_ALIAS_LENGTH = 255
MAX_NAME_LENGTH = 256  # MLflow's SQL column; also keeps the name well inside DynamoDB's 2 KB key limit
# Tags live inside one DynamoDB item (400 KB) with the rest of the model or version.
MAX_TAGS_BYTES = 300_000
LATEST_ALIAS = "latest"

_ALIAS = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS = re.compile(r"^[vV]\d+$")


def model_name(name: str | None, field: str = "name") -> str:
    if name is None or not name.strip():
        raise InvalidParameter(
            f"Missing value for required parameter '{field}'. "
            "See the API docs for more information about request parameters."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidParameter(f"Invalid value for parameter '{field}': names are at most {MAX_NAME_LENGTH} characters")
    if "/" in name or ":" in name:
        raise InvalidParameter(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    normalized = posixpath.normpath(name)
    if normalized != name or normalized == "." or normalized.startswith(("..", "/")):
        raise InvalidParameter(f"Invalid value '{name}' for parameter '{field}': it must be a normalized path.")
    return name


def version(raw: str | int) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise InvalidParameter(f"Parameter 'version' must be an integer, got '{raw}'.") from None


def alias(name: str) -> str:
    if not name:
        raise InvalidParameter("Registered model alias name cannot be empty.")
    if not _ALIAS.match(name):
        raise InvalidParameter(
            f"Invalid alias name: '{name}'. Names may only contain alphanumerics, underscores (_), and dashes (-)."
        )
    if len(name) > MAX_ALIAS_LENGTH:
        raise InvalidParameter(
            f"Registered model alias name '{name[:32]}…' had length {len(name)}, "
            f"which exceeded length limit of {MAX_ALIAS_LENGTH}"
        )
    return name


def assignable_alias(name: str) -> str:
    """An alias that may be set: `latest` and `v<digits>` are reserved for version references."""
    alias(name)
    if name.lower() == LATEST_ALIAS:
        raise InvalidParameter("'latest' alias name (case insensitive) is reserved.")
    if _VERSION_ALIAS.match(name):
        raise InvalidParameter(f"Version alias name '{name}' is reserved.")
    return name


def tag(key: str, value: str) -> tuple[str, str]:
    validation.validate_key("tag", key)
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise InvalidParameter(
            f"'value' exceeds the maximum length of {MAX_TAG_VALUE_LENGTH} characters for registry tags"
        )
    return key, value


def tags(values: dict[str, str]) -> dict[str, str]:
    return fitting(dict(tag(key, value) for key, value in values.items()))


def fitting(values: dict[str, str]) -> dict[str, str]:
    """All the tags of one model or version, checked against what one item can hold."""
    size = sum(len(key.encode()) + len(value.encode()) for key, value in values.items())
    if size > MAX_TAGS_BYTES:
        raise InvalidParameter(f"The tags would take {size} bytes; at most {MAX_TAGS_BYTES} fit with one entity")
    return values


def tag_key(key: str) -> str:
    return validation.validate_key("tag", key)
