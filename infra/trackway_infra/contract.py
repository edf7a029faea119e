"""The backend's contracts the infrastructure is built from: the route table and the typed settings.

Importing them (rather than copying names) means a renamed route or environment variable breaks synth and
the infra tests, never a deployed function. `functions/` is put on sys.path when the backend package is not
installed (a fresh clone running `cdk synth` without `pip install -e .`).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable, Mapping
from typing import Any

from trackway_infra.constants import FUNCTIONS_DIR

if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))

from trackway_backend.routes import ROUTES, Function, Route, routes_for

__all__ = ["ROUTES", "Function", "Route", "routes_for", "settings_environment", "settings_fields"]


def _settings_class(name: str) -> Any:
    return getattr(importlib.import_module("trackway_backend.settings"), name, None)


def settings_fields(settings_class: str, fallback: Iterable[str]) -> dict[str, bool]:
    """Field name -> required, from the function's pydantic settings class.

    A function whose settings class is not written yet gets the `fallback` fields (optional), so its
    environment already names the resources it is granted; once the class lands, its fields win.
    """
    model = _settings_class(settings_class)
    if model is None:
        return dict.fromkeys(fallback, False)
    return {name: info.is_required() for name, info in model.model_fields.items()}


def settings_environment(
    settings_class: str, fallback: Iterable[str], values: Mapping[str, str | None]
) -> dict[str, str]:
    """The environment for one function: `TRACKWAY_<FIELD>` for each settings field the stack can fill.

    Fields the stack has no value for keep their pydantic default; a required field without a value is an
    error here, at synth, rather than a validation error in the function's first cold start.
    """
    prefix: str = (_settings_class(settings_class) or _settings_class("AwsSettings")).env_prefix
    environment: dict[str, str] = {}
    for name, required in settings_fields(settings_class, fallback).items():
        value = values.get(name)
        if value is None:
            if required:
                raise ValueError(f"{settings_class}.{name} is required but the stack provides no value")
            continue
        environment[prefix + name.upper()] = value
    return environment
