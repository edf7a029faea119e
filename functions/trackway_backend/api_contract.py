"""What each route of the route table takes and answers: the one mapping from routes to wire models.

`openapi.py` builds docs/openapi.json from this table and refuses to build while a route of routes.py has
no entry here (or an entry names a route that does not exist), so a new route cannot go undocumented.
`request` is what the handler parses: the query string of a GET, the JSON body of any other method
(MLflow sends JSON even on DELETE); None when the route reads neither. `response` is the 200 body.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from trackway_backend.wire import access_requests as pr
from trackway_backend.wire import artifact_requests as ar
from trackway_backend.wire import registry_requests as rr
from trackway_backend.wire import response_schemas as out
from trackway_backend.wire import serving_requests as sr
from trackway_backend.wire import tracking_requests as tr


@dataclass(frozen=True)
class Raw:
    """A body that no wire model describes: media type → JSON Schema."""

    content: dict[str, dict[str, Any]]
    description: str


@dataclass(frozen=True)
class Redirect:
    description: str


@dataclass(frozen=True)
class Operation:
    summary: str
    request: type[BaseModel] | Raw | None
    response: type[BaseModel] | Raw | Redirect
    extra_statuses: dict[int, str] = field(default_factory=dict)
    """Statuses beyond 200, 4XX and 503 that the route answers with MLflow's error body, and why."""


TEXT = Raw({"text/plain": {"type": "string"}}, "Plain text.")
ARTIFACT_BYTES = Raw(
    {"application/octet-stream": {"type": "string", "format": "binary"}},
    "The file's bytes (a small file from a client that cannot upload presigned; larger ones get 413).",
)
SCORING_INPUT = Raw(
    {
        "application/json": {
            "type": "object",
            "description": "MLflow's scoring protocol: one of `inputs`, `instances`, `dataframe_split`, "
            "`dataframe_records`, with optional `params`.",
        },
        "text/csv": {"type": "string"},
    },
    "The rows to score.",
)
PREDICTIONS = Raw({"application/json": {}}, "The model's predictions, as MLflow's scoring server answers.")

_NOT_LIVE = {404: "No such model, or nothing is deployed behind its deploy alias."}

OPERATIONS: dict[str, Operation] = {
    # tracking: service
    "GET /health": Operation("Liveness", None, TEXT),
    "GET /version": Operation("Server version", None, TEXT),
    "GET /api/3.0/mlflow/server-info": Operation("Server capabilities", None, out.ServerInfo),
    # tracking: experiments
    "POST /api/2.0/mlflow/experiments/create": Operation(
        "Create an experiment", tr.CreateExperiment, out.CreatedExperiment
    ),
    "GET /api/2.0/mlflow/experiments/get": Operation("Get an experiment", tr.ExperimentRequest, out.ExperimentEnvelope),
    "GET /api/2.0/mlflow/experiments/get-by-name": Operation(
        "Get an experiment by name", tr.GetExperimentByName, out.ExperimentEnvelope
    ),
    "POST /api/2.0/mlflow/experiments/search": Operation(
        "Search experiments", tr.SearchExperiments, out.ExperimentPage
    ),
    "GET /api/2.0/mlflow/experiments/search": Operation("Search experiments", tr.SearchExperiments, out.ExperimentPage),
    "POST /api/2.0/mlflow/experiments/update": Operation("Rename an experiment", tr.UpdateExperiment, out.Empty),
    "POST /api/2.0/mlflow/experiments/delete": Operation("Delete an experiment", tr.ExperimentRequest, out.Empty),
    "POST /api/2.0/mlflow/experiments/restore": Operation(
        "Restore a deleted experiment", tr.ExperimentRequest, out.Empty
    ),
    "POST /api/2.0/mlflow/experiments/set-experiment-tag": Operation(
        "Set an experiment tag", tr.SetExperimentTag, out.Empty
    ),
    "POST /api/2.0/mlflow/experiments/delete-experiment-tag": Operation(
        "Delete an experiment tag", tr.DeleteExperimentTag, out.Empty
    ),
    # tracking: runs and metrics
    "POST /api/2.0/mlflow/runs/create": Operation("Create a run", tr.CreateRun, out.RunEnvelope),
    "GET /api/2.0/mlflow/runs/get": Operation("Get a run", tr.RunRequest, out.RunEnvelope),
    "POST /api/2.0/mlflow/runs/update": Operation("Update a run", tr.UpdateRun, out.RunInfoEnvelope),
    "POST /api/2.0/mlflow/runs/delete": Operation("Delete a run", tr.RunRequest, out.Empty),
    "POST /api/2.0/mlflow/runs/restore": Operation("Restore a deleted run", tr.RunRequest, out.Empty),
    "POST /api/2.0/mlflow/runs/set-tag": Operation("Set a run tag", tr.SetTag, out.Empty),
    "POST /api/2.0/mlflow/runs/delete-tag": Operation("Delete a run tag", tr.DeleteTag, out.Empty),
    "POST /api/2.0/mlflow/runs/log-metric": Operation("Log a metric", tr.LogMetric, out.Empty),
    "POST /api/2.0/mlflow/runs/log-parameter": Operation("Log a parameter", tr.LogParam, out.Empty),
    "POST /api/2.0/mlflow/runs/log-batch": Operation(
        "Log metrics, params and tags", tr.LogBatch, out.Empty, {413: "The batch is over MLflow's size limits."}
    ),
    "POST /api/2.0/mlflow/runs/log-inputs": Operation("Log dataset and model inputs", tr.LogInputs, out.Empty),
    "POST /api/2.0/mlflow/runs/outputs": Operation("Log model outputs", tr.LogOutputs, out.Empty),
    "POST /api/2.0/mlflow/runs/log-model": Operation(
        "Legacy log-model (accepted and ignored)", tr.RunRequest, out.Empty
    ),
    "POST /api/2.0/mlflow/runs/search": Operation("Search runs", tr.SearchRuns, out.RunPage),
    "GET /api/2.0/mlflow/metrics/get-history": Operation("A metric's history", tr.GetMetricHistory, out.MetricPage),
    "GET /api/2.0/mlflow/metrics/get-history-bulk-interval": Operation(
        "Metric histories of several runs", tr.GetMetricHistoryBulkInterval, out.MetricPage
    ),
    # tracking: logged models
    "POST /api/2.0/mlflow/logged-models": Operation(
        "Create a logged model", tr.CreateLoggedModel, out.LoggedModelEnvelope
    ),
    "POST /api/2.0/mlflow/logged-models/search": Operation(
        "Search logged models", tr.SearchLoggedModels, out.LoggedModelPage
    ),
    "GET /api/2.0/mlflow/logged-models/{model_id}": Operation(
        "Get a logged model", tr.GetLoggedModel, out.LoggedModelEnvelope
    ),
    "PATCH /api/2.0/mlflow/logged-models/{model_id}": Operation(
        "Finalize a logged model", tr.FinalizeLoggedModel, out.LoggedModelEnvelope
    ),
    "DELETE /api/2.0/mlflow/logged-models/{model_id}": Operation("Delete a logged model", None, out.Empty),
    "PATCH /api/2.0/mlflow/logged-models/{model_id}/tags": Operation(
        "Set logged model tags", tr.LoggedModelTags, out.Empty
    ),
    "DELETE /api/2.0/mlflow/logged-models/{model_id}/tags/{tag_key}": Operation(
        "Delete a logged model tag", None, out.Empty
    ),
    "POST /api/2.0/mlflow/logged-models/{model_id}/params": Operation(
        "Log logged model params", tr.LoggedModelParams, out.Empty
    ),
    # registry: registered models
    "POST /api/2.0/mlflow/registered-models/create": Operation(
        "Create a registered model", rr.CreateRegisteredModel, out.RegisteredModelEnvelope
    ),
    "GET /api/2.0/mlflow/registered-models/get": Operation(
        "Get a registered model", rr.ModelRequest, out.RegisteredModelEnvelope
    ),
    "GET /api/2.0/mlflow/registered-models/search": Operation(
        "Search registered models", rr.SearchRegisteredModels, out.RegisteredModelPage
    ),
    "POST /api/2.0/mlflow/registered-models/rename": Operation(
        "Rename a registered model", rr.RenameRegisteredModel, out.RegisteredModelEnvelope
    ),
    "PATCH /api/2.0/mlflow/registered-models/update": Operation(
        "Update a registered model's description", rr.UpdateRegisteredModel, out.RegisteredModelEnvelope
    ),
    "DELETE /api/2.0/mlflow/registered-models/delete": Operation(
        "Delete a registered model", rr.ModelRequest, out.Empty
    ),
    "POST /api/2.0/mlflow/registered-models/get-latest-versions": Operation(
        "Latest version per stage", rr.GetLatestVersions, out.ModelVersionList
    ),
    "GET /api/2.0/mlflow/registered-models/get-latest-versions": Operation(
        "Latest version per stage", rr.GetLatestVersions, out.ModelVersionList
    ),
    "POST /api/2.0/mlflow/registered-models/set-tag": Operation(
        "Set a registered model tag", rr.SetRegisteredModelTag, out.Empty
    ),
    "DELETE /api/2.0/mlflow/registered-models/delete-tag": Operation(
        "Delete a registered model tag", rr.DeleteRegisteredModelTag, out.Empty
    ),
    "POST /api/2.0/mlflow/registered-models/alias": Operation("Set an alias", rr.SetAlias, out.Empty),
    "DELETE /api/2.0/mlflow/registered-models/alias": Operation("Delete an alias", rr.AliasRequest, out.Empty),
    "GET /api/2.0/mlflow/registered-models/alias": Operation(
        "The version behind an alias", rr.AliasRequest, out.ModelVersionEnvelope
    ),
    # registry: model versions
    "POST /api/2.0/mlflow/model-versions/create": Operation(
        "Create a model version", rr.CreateModelVersion, out.ModelVersionEnvelope
    ),
    "GET /api/2.0/mlflow/model-versions/get": Operation(
        "Get a model version", rr.VersionRequest, out.ModelVersionEnvelope
    ),
    "PATCH /api/2.0/mlflow/model-versions/update": Operation(
        "Update a model version's description", rr.UpdateModelVersion, out.ModelVersionEnvelope
    ),
    "POST /api/2.0/mlflow/model-versions/transition-stage": Operation(
        "Move a model version to a stage", rr.TransitionStage, out.ModelVersionEnvelope
    ),
    "DELETE /api/2.0/mlflow/model-versions/delete": Operation("Delete a model version", rr.VersionRequest, out.Empty),
    "GET /api/2.0/mlflow/model-versions/search": Operation(
        "Search model versions", rr.SearchModelVersions, out.ModelVersionPage
    ),
    "GET /api/2.0/mlflow/model-versions/get-download-uri": Operation(
        "A model version's artifact URI", rr.VersionRequest, out.DownloadUri
    ),
    "POST /api/2.0/mlflow/model-versions/set-tag": Operation(
        "Set a model version tag", rr.SetModelVersionTag, out.Empty
    ),
    "DELETE /api/2.0/mlflow/model-versions/delete-tag": Operation(
        "Delete a model version tag", rr.DeleteModelVersionTag, out.Empty
    ),
    # artifacts
    "GET /api/2.0/mlflow-artifacts/artifacts": Operation("List artifacts", ar.ListArtifacts, out.ArtifactListing),
    "GET /api/2.0/mlflow-artifacts/artifacts/{path+}": Operation(
        "Download an artifact", None, Redirect("A presigned GET URL in `Location`, valid for minutes.")
    ),
    "PUT /api/2.0/mlflow-artifacts/artifacts/{path+}": Operation(
        "Upload a small artifact", ARTIFACT_BYTES, out.Empty, {413: "Over the proxied upload limit."}
    ),
    "DELETE /api/2.0/mlflow-artifacts/artifacts/{path+}": Operation("Delete an artifact", None, out.Empty),
    "POST /api/2.0/mlflow-artifacts/mpu/create/{path+}": Operation(
        "Start a multipart upload", ar.CreateUpload, out.CreatedUpload
    ),
    "POST /api/2.0/mlflow-artifacts/mpu/complete/{path+}": Operation(
        "Complete a multipart upload", ar.CompleteUpload, out.Empty
    ),
    "POST /api/2.0/mlflow-artifacts/mpu/abort/{path+}": Operation(
        "Abort a multipart upload", ar.AbortUpload, out.Empty
    ),
    "GET /api/2.0/mlflow-artifacts/presigned/{path+}": Operation(
        "A presigned download URL", None, out.PresignedDownload
    ),
    # access control: MLflow's permission API (docs/adr/012-access-control.md)
    "POST /api/2.0/mlflow/experiments/permissions/create": Operation(
        "Grant a principal a level on an experiment", pr.ExperimentPermission, out.ExperimentPermissionEnvelope
    ),
    "GET /api/2.0/mlflow/experiments/permissions/get": Operation(
        "A principal's grant on an experiment", pr.ExperimentPermission, out.ExperimentPermissionEnvelope
    ),
    "PATCH /api/2.0/mlflow/experiments/permissions/update": Operation(
        "Change a principal's level on an experiment", pr.ExperimentPermission, out.Empty
    ),
    "DELETE /api/2.0/mlflow/experiments/permissions/delete": Operation(
        "Revoke a principal's grant on an experiment", pr.ExperimentPermission, out.Empty
    ),
    "POST /api/2.0/mlflow/registered-models/permissions/create": Operation(
        "Grant a principal a level on a registered model",
        pr.RegisteredModelPermission,
        out.RegisteredModelPermissionEnvelope,
    ),
    "GET /api/2.0/mlflow/registered-models/permissions/get": Operation(
        "A principal's grant on a registered model", pr.RegisteredModelPermission, out.RegisteredModelPermissionEnvelope
    ),
    "PATCH /api/2.0/mlflow/registered-models/permissions/update": Operation(
        "Change a principal's level on a registered model", pr.RegisteredModelPermission, out.Empty
    ),
    "DELETE /api/2.0/mlflow/registered-models/permissions/delete": Operation(
        "Revoke a principal's grant on a registered model", pr.RegisteredModelPermission, out.Empty
    ),
    "POST /api/3.0/mlflow/users/permissions/grant": Operation(
        "Grant a principal a level on a resource", pr.UserPermission, out.Empty
    ),
    "POST /api/3.0/mlflow/users/permissions/revoke": Operation(
        "Revoke a principal's grant on a resource", pr.UserPermission, out.Empty
    ),
    "GET /api/3.0/mlflow/users/permissions/get": Operation(
        "A principal's effective level on a resource", pr.UserPermission, out.UserPermissionOut
    ),
    # serving
    "POST /serving/{model}/invocations": Operation("Score rows", SCORING_INPUT, PREDICTIONS, _NOT_LIVE),
    "GET /serving/{model}/health": Operation("Serving health", sr.Health, out.ServingHealth, _NOT_LIVE),
    "GET /serving/{model}/version": Operation("The served version", None, out.ServedVersion, _NOT_LIVE),
    "GET /api/2.0/trackway/deployments": Operation(
        "A model's deployment history", sr.ListDeployments, out.DeploymentHistory
    ),
}
