"""Request bodies of the registry routes (mlflow model_registry.proto), snake_case as the client sends them."""

from __future__ import annotations

from pydantic import Field

from trackway_backend.wire.parsing import Request, Required


class Tag(Request):
    key: Required
    value: str


class ModelRequest(Request):
    name: Required


class CreateRegisteredModel(ModelRequest):
    tags: list[Tag] = Field(default_factory=list)
    description: str | None = None


class RenameRegisteredModel(ModelRequest):
    new_name: str | None = None


class UpdateRegisteredModel(ModelRequest):
    description: str | None = None


class SearchRegisteredModels(Request):
    filter: str | None = None
    max_results: int = 100
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class GetLatestVersions(ModelRequest):
    stages: list[str] = Field(default_factory=list)


class SetRegisteredModelTag(ModelRequest):
    key: Required
    value: str


class DeleteRegisteredModelTag(ModelRequest):
    key: Required


class CreateModelVersion(ModelRequest):
    source: Required
    run_id: str | None = None
    tags: list[Tag] = Field(default_factory=list)
    run_link: str | None = None
    description: str | None = None
    model_id: str | None = None


class VersionRequest(ModelRequest):
    version: Required


class UpdateModelVersion(VersionRequest):
    description: str | None = None


class TransitionStage(VersionRequest):
    stage: Required
    archive_existing_versions: bool = False


class SearchModelVersions(Request):
    filter: str | None = None
    max_results: int = 10_000
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = None


class SetModelVersionTag(VersionRequest):
    key: Required
    value: str


class DeleteModelVersionTag(VersionRequest):
    key: Required


class AliasRequest(ModelRequest):
    alias: Required


class SetAlias(AliasRequest):
    version: Required
