"""The permission routes, in MLflow's auth API shapes: experiment permissions on the tracking function,
registered-model permissions and MLflow 3's unified per-user permissions on the registry function.

Who may call them (MANAGE on the resource) is declared in route_access.py like every other route.
"""

from __future__ import annotations

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


def _experiment_view(grant: Grant) -> dict[str, Any]:
    return {"experiment_id": grant.resource.id, "user_id": grant.principal, "permission": grant.level.name}


def _model_view(grant: Grant) -> dict[str, Any]:
    return {"name": grant.resource.id, "user_id": grant.principal, "permission": grant.level.name}


def register_experiments(app: APIGatewayHttpResolver, grants: GrantStore, exists: Exists) -> None:
    def target(data: dict[str, Any]) -> tuple[rq.ExperimentPermission, Resource]:
        request = parse(rq.ExperimentPermission, data)
        return request, Resource(ResourceKind.EXPERIMENT, request.experiment_id)

    @app.post(f"{_EXPERIMENTS}/create")
    def create() -> dict[str, Any]:
        request, resource = target(json_body(app))
        grant = access.create_grant(grants, exists, resource, request.username, request.permission)
        return {"experiment_permission": _experiment_view(grant)}

    @app.get(f"{_EXPERIMENTS}/get")
    def get() -> dict[str, Any]:
        request, resource = target(request_data(app))
        return {"experiment_permission": _experiment_view(access.get_grant(grants, exists, resource, request.username))}

    @app.patch(f"{_EXPERIMENTS}/update")
    def update() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.update_grant(grants, exists, resource, request.username, request.permission)
        return {}

    @app.delete(f"{_EXPERIMENTS}/delete")
    def delete() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.delete_grant(grants, exists, resource, request.username)
        return {}


def register_models(app: APIGatewayHttpResolver, grants: GrantStore, exists: Exists, settings: AccessSettings) -> None:
    def target(data: dict[str, Any]) -> tuple[rq.RegisteredModelPermission, Resource]:
        request = parse(rq.RegisteredModelPermission, data)
        return request, Resource(ResourceKind.REGISTERED_MODEL, request.name)

    @app.post(f"{_MODELS}/create")
    def create() -> dict[str, Any]:
        request, resource = target(json_body(app))
        grant = access.create_grant(grants, exists, resource, request.username, request.permission)
        return {"registered_model_permission": _model_view(grant)}

    @app.get(f"{_MODELS}/get")
    def get() -> dict[str, Any]:
        request, resource = target(request_data(app))
        grant = access.get_grant(grants, exists, resource, request.username)
        return {"registered_model_permission": _model_view(grant)}

    @app.patch(f"{_MODELS}/update")
    def update() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.update_grant(grants, exists, resource, request.username, request.permission)
        return {}

    @app.delete(f"{_MODELS}/delete")
    def delete() -> dict[str, Any]:
        request, resource = target(json_body(app))
        access.delete_grant(grants, exists, resource, request.username)
        return {}

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
