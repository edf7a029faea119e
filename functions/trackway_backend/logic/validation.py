"""MLflow's server-side validation rules (mlflow/utils/validation.py), as plain functions."""

from __future__ import annotations

import math
import posixpath
import re

from trackway_backend.errors import InvalidParameter

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_PER_BATCH = 100
MAX_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_REQUEST_BYTES = 1_000_000
MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_RUN_TAG_VALUE_LENGTH = 8000
MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_VALUE_LENGTH = 20000
MAX_RUN_NAME_LENGTH = 250
MAX_DATASET_NAME_LENGTH = 500
MAX_DATASET_DIGEST_LENGTH = 36

_KEY_PATTERN = re.compile(r"^[/\w.\- :]*$")
_RUN_ID_PATTERN = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")
_EXPERIMENT_ID_PATTERN = re.compile(r"^[a-zA-Z0-9][\w\-]{0,63}$")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def validate_key(kind: str, key: str) -> str:
    if not _KEY_PATTERN.match(key) or not _is_normalized_path(key):
        raise InvalidParameter(
            f"Invalid {kind} name: '{key}'. Names may only contain alphanumerics, underscores (_), "
            "dashes (-), periods (.), spaces ( ), colons (:) and slashes (/), and must be a normalized path."
        )
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidParameter(
            f"'{kind}' name '{key[:32]}…' had length {len(key)}, which exceeded length limit of {MAX_KEY_LENGTH}"
        )
    return key


def _is_normalized_path(key: str) -> bool:
    if key in ("", "."):
        return key == ""
    return posixpath.normpath(key) == key and not key.startswith(("/", ".."))


def truncate(value: str, limit: int) -> str:
    """Over-long param and tag values are truncated, not rejected (MLFLOW_TRUNCATE_LONG_VALUES)."""
    return value if len(value) <= limit else value[:limit]


def metric_value(raw: object, key: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise InvalidParameter(f"Got invalid value {raw} for metric '{key}'. Please specify value as a number.")
    if isinstance(raw, int | float):
        return float(raw)
    if isinstance(raw, str):
        if raw in _SPECIAL_DOUBLES:
            return _SPECIAL_DOUBLES[raw]
        try:
            return float(raw)
        except ValueError:
            pass
    raise InvalidParameter(f"Got invalid value {raw} for metric '{key}'. Please specify value as a number.")


def timestamp(raw: object, key: str) -> int:
    value = integer(raw, f"timestamp of metric '{key}'")
    if value < 0:
        raise InvalidParameter(f"Got invalid timestamp {raw} for metric '{key}'. Timestamp must be >= 0.")
    return value


def integer(raw: object, what: str) -> int:
    if isinstance(raw, bool):
        raise InvalidParameter(f"Invalid value {raw} for {what}: expected an integer.")
    try:
        if isinstance(raw, float) and not raw.is_integer():
            raise ValueError
        return int(raw)  # type: ignore[call-overload, no-any-return]
    except (TypeError, ValueError):
        raise InvalidParameter(f"Invalid value {raw!r} for {what}: expected an integer.") from None


def run_id(value: str) -> str:
    if not _RUN_ID_PATTERN.match(value):
        raise InvalidParameter(f"Invalid run ID: '{value}'")
    return value


def experiment_id(value: str) -> str:
    if not _EXPERIMENT_ID_PATTERN.match(value):
        raise InvalidParameter(f"Invalid experiment ID: '{value}'")
    return value


def experiment_name(name: str) -> str:
    if not name or not name.strip():
        raise InvalidParameter("Invalid experiment name: '' must be a non-empty string")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidParameter(f"Experiment name exceeds the maximum length of {MAX_EXPERIMENT_NAME_LENGTH} characters")
    return name


def batch_limits(metrics: int, params: int, tags: int) -> None:
    for kind, count, limit in (
        ("metrics", metrics, MAX_METRICS_PER_BATCH),
        ("params", params, MAX_PARAMS_PER_BATCH),
        ("tags", tags, MAX_TAGS_PER_BATCH),
    ):
        if count > limit:
            raise InvalidParameter(
                f"A batch logging request can contain at most {limit} {kind}. Got {count} {kind}. "
                "Please split up the batch into multiple requests and try again."
            )
    total = metrics + params + tags
    if total > MAX_ENTITIES_PER_BATCH:
        raise InvalidParameter(
            f"A batch logging request can contain at most {MAX_ENTITIES_PER_BATCH} total metrics, params "
            f"and tags. Got {total}. Please split up the batch into multiple requests and try again."
        )
