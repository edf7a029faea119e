"""Request parsing: pydantic models in, MLflow-style INVALID_PARAMETER_VALUE out."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trackway_backend.errors import InvalidParameter

Required = Annotated[str, Field(min_length=1)]
"""A required string: MLflow treats an empty string as missing."""

M = TypeVar("M", bound=BaseModel)


class Request(BaseModel):
    # defer_build: a cold start builds the validator of the one route it serves, not of all of them.
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True, frozen=True, defer_build=True)


def parse(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidParameter(_describe(exc.errors()[0], data)) from None


def _describe(error: Any, data: dict[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"]) or "request"
    if error["type"] == "missing" or (error["type"] == "string_too_short" and error.get("input") == ""):
        return (
            f"Missing value for required parameter '{field}'. "
            "See the API docs for more information about request parameters."
        )
    return (
        f"Invalid value {error.get('input')!r} for parameter '{field}' supplied: {error['msg']}. "
        "See the API docs for more information about request parameters."
    )
