"""The backend's contracts the infrastructure is built from: the route table and the typed settings.

Importing them (rather than copying names) means a renamed route or environment variable breaks synth and
the infra tests, never a deployed function. `functions/` is put on sys.path when the backend package is not
installed (a fresh clone running `cdk synth` without `pip install -e .`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping

from trackway_infra.constants import FUNCTIONS_DIR

if str(FUNCTIONS_DIR) not in sys.path:
    sys.path.insert(0, str(FUNCTIONS_DIR))

from trackway_backend.routes import ROUTES, Function, Route, routes_for
from trackway_backend.settings import (
    ApprovalSettings,
    ArtifactSettings,
    AwsSettings,
    DeploymentSettings,
    PublisherSettings,
    RedriveSettings,
    RegistrySettings,
    ServingSettings,
    TrackingSettings,
)

__all__ = [
    "ROUTES",
    "ApprovalSettings",
    "ArtifactSettings",
    "AwsSettings",
    "DeploymentSettings",
    "Function",
    "PublisherSettings",
    "RedriveSettings",
    "RegistrySettings",
    "Route",
    "ServingSettings",
    "TrackingSettings",
    "routes_for",
    "settings_environment",
    "settings_fields",
]


def settings_fields(settings_class: type[AwsSettings]) -> dict[str, bool]:
    """Field name -> required, from the function's pydantic settings class."""
    return {name: info.is_required() for name, info in settings_class.model_fields.items()}


def settings_environment(settings_class: type[AwsSettings], values: Mapping[str, str | None]) -> dict[str, str]:
    """The environment for one function: `TRACKWAY_<FIELD>` for each settings field the stack can fill.

    Fields the stack has no value for keep their pydantic default; a required field without a value is an
    error here, at synth, rather than a validation error in the function's first cold start.
    """
    environment: dict[str, str] = {}
    for name, required in settings_fields(settings_class).items():
        value = values.get(name)
        if value is None:
            if required:
                raise ValueError(f"{settings_class.__name__}.{name} is required but the stack provides no value")
            continue
        environment[settings_class.env_prefix + name.upper()] = value
    return environment
