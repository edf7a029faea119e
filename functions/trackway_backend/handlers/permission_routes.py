"""The permission routes, in MLflow's auth API shapes: experiment permissions on the tracking function,
registered-model permissions and MLflow 3's unified per-user permissions on the registry function.

Who may call them (MANAGE on the resource) is declared in route_access.py like every other route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

from trackway_backend.access_domain import Grant, Level, Resource, ResourceKind
from trackway_backend.access_ports import GrantStore
from trackway_backend.handlers.http import json_body, request_data
from trackway_backend.logic import access
from trackway_backend.logic.access import Exists
from trackway_backend.settings import AccessSettings
from trackway_backend.wire import access_requests as rq
from trackway_backend.wire.parsing import parse

_EXPERIMENTS = "/api/2.0/mlflow/experiments/permissions"
_MODELS = "/api/2.0/mlflow/registered-models/permissions"
_USERS = "/api/3.0/mlflow/users/permissions"


@dataclass(frozen=True)
class ResourceRoutes:
    """One resource kind's MLflow 2 permission routes: where they live and how their bodies name things."""

    path: str
    kind: ResourceKind
    request: type[rq.ExperimentPermission | rq.RegisteredModelPermission]
    id_field: str
    response_key: str


EXPERIMENTS = ResourceRoutes(
    _EXPERIMENTS, ResourceKind.EXPERIMENT, rq.ExperimentPermission, "experiment_id", "experiment_permission"
)
MODELS = ResourceRoutes(
    _MODELS, ResourceKind.REGISTERED_MODEL, rq.RegisteredModelPermission, "name", "registered_model_permission"
)


def register_legacy(app: APIGatewayHttpResolver, grants: GrantStore, exists: Exists, shape: ResourceRoutes) -> None:
    def target(data: dict[str, Any]) -> tuple[rq.ExperimentPermission | rq.RegisteredModelPermission, Resource]:
        request = parse(shape.request, data)
        return request, Resource(shape.kind, getattr(request, shape.id_field))

    def view(grant: Grant) -> dict[str, Any]:
        found = {shape.id_field: grant.resource.id, "user_id": grant.principal, "permission": grant.level.name}
        return {shape.response_key: found}

    @app.post(f"{shape.path}/create")
    def create() -> dict[str, Any]:
        request, resource = target(json_body(app))
        return view(access.create_grant(grants, exists, resource, request.username, request.permission))

    @app.get(f"{shape.path}/get")
    def get() -> dict[str, Any]:
        request, resource = target(request_data(app))
        return view(access.get_grant(grants, exists, resource, request.username))

    @app.patch(f"{shape.path}/update")
    def update() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.update_grant(grants, exists, resource, request.username, request.permission)
        return {}

    @app.delete(f"{shape.path}/delete")
    def delete() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.delete_grant(grants, exists, resource, request.username)
        return {}


def register_unified(app: APIGatewayHttpResolver, grants: GrantStore, exists: Exists, settings: AccessSettings) -> None:
    def user_target(data: dict[str, Any]) -> tuple[rq.UserPermission, Resource]:
        request = parse(rq.UserPermission, data)
        return request, Resource(ResourceKind.parse(request.resource_type), request.resource_id)

    @app.post(f"{_USERS}/grant")
    def grant() -> dict[str, Any]:
        request, resource = user_target(json_body(app))
        access.set_grant(grants, exists, resource, request.username, request.permission)
        return {}

    @app.post(f"{_USERS}/revoke")
    def revoke() -> dict[str, Any]:
        request, resource = user_target(json_body(app))
        access.revoke_grant(grants, exists, resource, request.username)
        return {}

    @app.get(f"{_USERS}/get")
    def get_user() -> dict[str, Any]:
        request, resource = user_target(request_data(app))
        default = Level[settings.default_permission]
        level = access.level_of(grants, exists, resource, request.username, settings.admins, default)
        # MLflow's `allowed` is its USE tier, which sits between READ and EDIT.
        return {"allowed": level >= Level.EDIT, "permission": level.name}
