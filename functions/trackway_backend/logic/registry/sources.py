"""Where a new version's files are: `models:/` sources resolved to a storage location and a run."""

from __future__ import annotations

from dataclasses import dataclass

from trackway_backend.domain import LoggedModel
from trackway_backend.errors import InvalidParameter, TrackwayError
from trackway_backend.ports import TrackingStore

MODELS_SCHEME = "models:/"


@dataclass(frozen=True)
class ModelReference:
    """A parsed `models:/` URI: a logged model id, or a registered model's version, alias or stage."""

    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    alias: str | None = None


def parse_models_uri(uri: str) -> ModelReference | None:
    if not uri.startswith(MODELS_SCHEME):
        return None
    path = uri[len(MODELS_SCHEME) :].strip("/")
    if "@" in path:
        name, _, alias = path.rpartition("@")
        return ModelReference(name=name, alias=alias)
    if "/" in path:
        name, _, version = path.rpartition("/")
        return ModelReference(name=name, version=version)
    return ModelReference(model_id=path) if path else None


@dataclass(frozen=True)
class ResolvedSource:
    storage_location: str
    run_id: str | None


def resolve_logged_model(
    tracking: TrackingStore, source: str, run_id: str | None, model_id: str | None
) -> ResolvedSource | None:
    """Resolve a `models:/<model_id>` source (and a bare `model_id`) through the tracking store.

    Returns None for a source this function does not resolve (another registered model's version, or a
    plain URI); the caller handles those.
    """
    reference = parse_models_uri(source)
    storage = source
    if reference is not None and reference.model_id is not None:
        model = _logged_model(tracking, reference.model_id, source)
        storage, run_id = model.artifact_location, run_id or model.source_run_id
    elif reference is not None:
        return None
    if not run_id and model_id:
        run_id = _logged_model(tracking, model_id, source).source_run_id
    return ResolvedSource(storage, run_id)


def _logged_model(tracking: TrackingStore, model_id: str, source: str) -> LoggedModel:
    try:
        return tracking.get_logged_model(model_id)
    except TrackwayError as exc:
        raise InvalidParameter(
            f"Unable to fetch model from model URI source artifact location '{source}'. Error: {exc.message}"
        ) from None
