"""Request bodies of the permission routes: MLflow's auth API (`mlflow.server.auth`), `username` naming the
principal (an IAM ARN or pattern, a JWT subject, or `group:<name>`)."""

from __future__ import annotations

from trackway_backend.wire.parsing import Request, Required


class ExperimentPermission(Request):
    experiment_id: Required
    username: str | None = None
    permission: str | None = None


class RegisteredModelPermission(Request):
    name: Required
    username: str | None = None
    permission: str | None = None


class UserPermission(Request):
    """MLflow 3's unified `users/permissions/{grant,revoke,get}`: one resource of a named type."""

    username: str | None = None
    resource_type: Required
    resource_id: Required
    permission: str | None = None
