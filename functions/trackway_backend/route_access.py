"""Who may call each route: the one declaration of access control, next to the route table.

Every route of routes.py has exactly one rule here (a unit test holds the two together), and
handlers/authorization.py enforces them before any route runs. A rule names the level a route needs and
how the request names the resources it touches, read with the same wire models the route parses, so a
request cannot name one resource to the check and another to the route. Search routes filter their results
instead; a few routes also keep grants in step with what they did (a creator manages what they create).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

from trackway_backend.access_domain import Level, Resource, ResourceKind
from trackway_backend.wire import access_requests as access_rq
from trackway_backend.wire import tracking_requests as tracking_rq
from trackway_backend.wire.parsing import parse

# Every API function imports this table, but each serves the routes of one area only: the wire models and
# path rules of the registry, artifact and serving routes are imported by the finders that read them, so a
# function's cold start does not build the request models of the others (docs/adr/014-cold-start.md).

DEFAULT_EXPERIMENT_ID = "0"


class Locator(Protocol):
    """The experiment a run, logged model or experiment name belongs to (raises `NotFound`)."""

    def experiment_of_run(self, run_id: str) -> str: ...

    def experiment_of_logged_model(self, model_id: str) -> str: ...

    def experiment_named(self, name: str) -> str: ...


class Call:
    """What a rule reads of a request: its path parameters (decoded) and its data (query or JSON body), read
    only when a rule asks for it: an artifact PUT's body is bytes, not JSON."""

    def __init__(self, read: Callable[[], dict[str, Any]], path: dict[str, str]) -> None:
        self._read = read
        self.path = path

    @cached_property
    def data(self) -> dict[str, Any]:
        return self._read()


Finder = Callable[[Call, Locator], list[Resource]]


@dataclass(frozen=True)
class ResultFilter:
    """Keep only the items of `response[key]` whose resource (`kind`, item[`field`]) the caller may read."""

    key: str
    kind: ResourceKind
    field: str


@dataclass(frozen=True)
class Rule:
    level: Level | None = None  # None: any authenticated principal may call it
    find: Finder | None = None
    public: bool = False  # no principal needed: liveness and version only
    admin: bool = False
    results: ResultFilter | None = None
    follow: str | None = None  # a name of handlers.authorization.FOLLOWERS


def _experiment(resource_id: str) -> Resource:
    return Resource(ResourceKind.EXPERIMENT, resource_id)


def _model(name: str) -> Resource:
    return Resource(ResourceKind.REGISTERED_MODEL, name)


def experiment_id(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(parse(tracking_rq.ExperimentRequest, call.data).experiment_id)]


def experiment_name(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(locate.experiment_named(parse(tracking_rq.GetExperimentByName, call.data).experiment_name))]


def new_run(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(parse(tracking_rq.CreateRun, call.data).experiment_id or DEFAULT_EXPERIMENT_ID)]


def run(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(locate.experiment_of_run(parse(tracking_rq.RunRequest, call.data).id))]


def runs(call: Call, locate: Locator) -> list[Resource]:
    ids = parse(tracking_rq.GetMetricHistoryBulkInterval, call.data).run_ids
    return [_experiment(locate.experiment_of_run(run_id)) for run_id in dict.fromkeys(ids)]


def searched_runs(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(e) for e in dict.fromkeys(parse(tracking_rq.SearchRuns, call.data).experiment_ids)]


def searched_logged_models(call: Call, locate: Locator) -> list[Resource]:
    ids = parse(tracking_rq.SearchLoggedModels, call.data).experiment_ids
    return [_experiment(e) for e in dict.fromkeys(ids)]


def new_logged_model(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(parse(tracking_rq.CreateLoggedModel, call.data).experiment_id)]


def logged_model(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(locate.experiment_of_logged_model(call.path["model_id"]))]


def _artifact_owner(path: str, locate: Locator) -> list[Resource]:
    from trackway_backend.logic.artifact_paths import Owner, resolve

    target = resolve(path)
    if target.owner is Owner.RUN:
        return [_experiment(locate.experiment_of_run(target.owner_id))]
    return [_experiment(locate.experiment_of_logged_model(target.owner_id))]


def artifact_path(call: Call, locate: Locator) -> list[Resource]:
    return _artifact_owner(call.path["path"], locate)


def artifact_listing(call: Call, locate: Locator) -> list[Resource]:
    from trackway_backend.wire import artifact_requests as artifact_rq

    return _artifact_owner(parse(artifact_rq.ListArtifacts, call.data).path, locate)


def model_name(call: Call, locate: Locator) -> list[Resource]:
    from trackway_backend.wire import registry_requests as registry_rq

    return [_model(parse(registry_rq.ModelRequest, call.data).name)]


def served_model(call: Call, locate: Locator) -> list[Resource]:
    return [_model(call.path["model"])]


def deployments(call: Call, locate: Locator) -> list[Resource]:
    from trackway_backend.wire import serving_requests as serving_rq

    return [_model(parse(serving_rq.ListDeployments, call.data).name)]


def experiment_grant(call: Call, locate: Locator) -> list[Resource]:
    return [_experiment(parse(access_rq.ExperimentPermission, call.data).experiment_id)]


def model_grant(call: Call, locate: Locator) -> list[Resource]:
    return [_model(parse(access_rq.RegisteredModelPermission, call.data).name)]


def user_grant(call: Call, locate: Locator) -> list[Resource]:
    request = parse(access_rq.UserPermission, call.data)
    return [Resource(ResourceKind.parse(request.resource_type), request.resource_id)]


_READ, _EDIT, _MANAGE = Level.READ, Level.EDIT, Level.MANAGE
_MLFLOW = "/api/2.0/mlflow"
_ARTIFACTS = "/api/2.0/mlflow-artifacts"
_PUBLIC = Rule(public=True)
_EXPERIMENTS = Rule(results=ResultFilter("experiments", ResourceKind.EXPERIMENT, "experiment_id"))
_ANYONE = Rule()

RULES: dict[str, Rule] = {
    "GET /health": _PUBLIC,
    "GET /version": _PUBLIC,
    "GET /api/3.0/mlflow/server-info": _ANYONE,
    # experiments
    f"POST {_MLFLOW}/experiments/create": Rule(follow="experiment_created"),
    f"GET {_MLFLOW}/experiments/get": Rule(_READ, experiment_id),
    f"GET {_MLFLOW}/experiments/get-by-name": Rule(_READ, experiment_name),
    f"POST {_MLFLOW}/experiments/search": _EXPERIMENTS,
    f"GET {_MLFLOW}/experiments/search": _EXPERIMENTS,
    f"POST {_MLFLOW}/experiments/update": Rule(_MANAGE, experiment_id),
    f"POST {_MLFLOW}/experiments/delete": Rule(_MANAGE, experiment_id),
    f"POST {_MLFLOW}/experiments/restore": Rule(_MANAGE, experiment_id),
    f"POST {_MLFLOW}/experiments/set-experiment-tag": Rule(_EDIT, experiment_id),
    f"POST {_MLFLOW}/experiments/delete-experiment-tag": Rule(_EDIT, experiment_id),
    # runs and metrics
    f"POST {_MLFLOW}/runs/create": Rule(_EDIT, new_run),
    f"GET {_MLFLOW}/runs/get": Rule(_READ, run),
    f"POST {_MLFLOW}/runs/update": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/delete": Rule(_MANAGE, run),
    f"POST {_MLFLOW}/runs/restore": Rule(_MANAGE, run),
    f"POST {_MLFLOW}/runs/set-tag": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/delete-tag": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/log-metric": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/log-parameter": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/log-batch": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/log-inputs": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/outputs": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/log-model": Rule(_EDIT, run),
    f"POST {_MLFLOW}/runs/search": Rule(_READ, searched_runs),
    f"GET {_MLFLOW}/metrics/get-history": Rule(_READ, run),
    f"GET {_MLFLOW}/metrics/get-history-bulk-interval": Rule(_READ, runs),
    # logged models belong to their experiment
    f"POST {_MLFLOW}/logged-models": Rule(_EDIT, new_logged_model),
    f"POST {_MLFLOW}/logged-models/search": Rule(_READ, searched_logged_models),
    f"GET {_MLFLOW}/logged-models/{{model_id}}": Rule(_READ, logged_model),
    f"PATCH {_MLFLOW}/logged-models/{{model_id}}": Rule(_EDIT, logged_model),
    f"DELETE {_MLFLOW}/logged-models/{{model_id}}": Rule(_MANAGE, logged_model),
    f"PATCH {_MLFLOW}/logged-models/{{model_id}}/tags": Rule(_EDIT, logged_model),
    f"DELETE {_MLFLOW}/logged-models/{{model_id}}/tags/{{tag_key}}": Rule(_EDIT, logged_model),
    f"POST {_MLFLOW}/logged-models/{{model_id}}/params": Rule(_EDIT, logged_model),
    # experiment permissions
    f"POST {_MLFLOW}/experiments/permissions/create": Rule(_MANAGE, experiment_grant),
    f"GET {_MLFLOW}/experiments/permissions/get": Rule(_MANAGE, experiment_grant),
    f"PATCH {_MLFLOW}/experiments/permissions/update": Rule(_MANAGE, experiment_grant),
    f"DELETE {_MLFLOW}/experiments/permissions/delete": Rule(_MANAGE, experiment_grant),
    # registered models and versions
    f"POST {_MLFLOW}/registered-models/create": Rule(follow="model_created"),
    f"GET {_MLFLOW}/registered-models/get": Rule(_READ, model_name),
    f"GET {_MLFLOW}/registered-models/search": Rule(
        results=ResultFilter("registered_models", ResourceKind.REGISTERED_MODEL, "name")
    ),
    f"POST {_MLFLOW}/registered-models/rename": Rule(_MANAGE, model_name, follow="model_renamed"),
    f"PATCH {_MLFLOW}/registered-models/update": Rule(_EDIT, model_name),
    f"DELETE {_MLFLOW}/registered-models/delete": Rule(_MANAGE, model_name, follow="model_deleted"),
    f"POST {_MLFLOW}/registered-models/get-latest-versions": Rule(_READ, model_name),
    f"GET {_MLFLOW}/registered-models/get-latest-versions": Rule(_READ, model_name),
    f"POST {_MLFLOW}/registered-models/set-tag": Rule(_EDIT, model_name),
    f"DELETE {_MLFLOW}/registered-models/delete-tag": Rule(_EDIT, model_name),
    f"POST {_MLFLOW}/registered-models/alias": Rule(_EDIT, model_name),
    f"DELETE {_MLFLOW}/registered-models/alias": Rule(_EDIT, model_name),
    f"GET {_MLFLOW}/registered-models/alias": Rule(_READ, model_name),
    f"POST {_MLFLOW}/model-versions/create": Rule(_EDIT, model_name),
    f"GET {_MLFLOW}/model-versions/get": Rule(_READ, model_name),
    f"PATCH {_MLFLOW}/model-versions/update": Rule(_EDIT, model_name),
    f"POST {_MLFLOW}/model-versions/transition-stage": Rule(_EDIT, model_name),
    f"DELETE {_MLFLOW}/model-versions/delete": Rule(_MANAGE, model_name),
    f"GET {_MLFLOW}/model-versions/search": Rule(
        results=ResultFilter("model_versions", ResourceKind.REGISTERED_MODEL, "name")
    ),
    f"GET {_MLFLOW}/model-versions/get-download-uri": Rule(_READ, model_name),
    f"POST {_MLFLOW}/model-versions/set-tag": Rule(_EDIT, model_name),
    f"DELETE {_MLFLOW}/model-versions/delete-tag": Rule(_EDIT, model_name),
    # registered-model permissions, and MLflow 3's unified per-user permissions (AuthServiceClient)
    f"POST {_MLFLOW}/registered-models/permissions/create": Rule(_MANAGE, model_grant),
    f"GET {_MLFLOW}/registered-models/permissions/get": Rule(_MANAGE, model_grant),
    f"PATCH {_MLFLOW}/registered-models/permissions/update": Rule(_MANAGE, model_grant),
    f"DELETE {_MLFLOW}/registered-models/permissions/delete": Rule(_MANAGE, model_grant),
    "POST /api/3.0/mlflow/users/permissions/grant": Rule(_MANAGE, user_grant),
    "POST /api/3.0/mlflow/users/permissions/revoke": Rule(_MANAGE, user_grant),
    "GET /api/3.0/mlflow/users/permissions/get": Rule(_MANAGE, user_grant),
    # artifacts belong to the experiment of the run or logged model whose root holds them
    f"GET {_ARTIFACTS}/artifacts": Rule(_READ, artifact_listing),
    f"GET {_ARTIFACTS}/artifacts/{{path+}}": Rule(_READ, artifact_path),
    f"PUT {_ARTIFACTS}/artifacts/{{path+}}": Rule(_EDIT, artifact_path),
    f"DELETE {_ARTIFACTS}/artifacts/{{path+}}": Rule(_MANAGE, artifact_path),
    f"POST {_ARTIFACTS}/mpu/create/{{path+}}": Rule(_EDIT, artifact_path),
    f"POST {_ARTIFACTS}/mpu/complete/{{path+}}": Rule(_EDIT, artifact_path),
    f"POST {_ARTIFACTS}/mpu/abort/{{path+}}": Rule(_EDIT, artifact_path),
    f"GET {_ARTIFACTS}/presigned/{{path+}}": Rule(_READ, artifact_path),
    # serving reads a registered model's live version
    "POST /serving/{model}/invocations": Rule(_READ, served_model),
    "GET /serving/{model}/health": Rule(_READ, served_model),
    "GET /serving/{model}/version": Rule(_READ, served_model),
    "GET /api/2.0/trackway/deployments": Rule(_READ, deployments),
}
