"""Query parameters of the serving function's routes."""

from __future__ import annotations

from pydantic import Field

from trackway_backend.wire.parsing import Request, Required


class Health(Request):
    predict: bool = False
    expect_version: int | None = Field(default=None, ge=1)


class ListDeployments(Request):
    name: Required
    max_results: int = Field(default=100, ge=1, le=1000)
