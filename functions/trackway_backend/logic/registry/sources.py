"""Where a new version's files are, and which run they came from.

A version is bound to the run or logged model it was registered from, and its source must lie inside that
owner's artifacts: the approval gates read that run's metrics, and the serving function loads those files.
Anything else (another experiment's model, a bare bucket prefix, a run id that did not produce the files)
is refused with 400, so nobody can register files they did not log, or borrow another run's metrics.

What the mlflow client sends, and how each binds:
- `log_model(..., registered_model_name=...)`, `register_model("models:/m-…")`: source `models:/<model_id>`
  (and `model_id`) → the logged model's artifacts and its source run.
- `register_model("runs:/<run>/<path>")`: the run's artifact URI plus the path and `run_id`, or, when the
  run holds a logged model there, `models:/<model_id>` with `run_id` and `model_id`.
- `create_model_version(name, "runs:/<run>/<path>", run_id)`: resolved through the run.
- `copy_model_version`: `models:/<name>/<version>` with the source version's `run_id`.
"""

from __future__ import annotations

from dataclasses import dataclass

from trackway_backend.domain import LoggedModel, Run
from trackway_backend.errors import InvalidParameter, NotFound, TrackwayError
from trackway_backend.logic import artifact_paths
from trackway_backend.logic.registry import validation
from trackway_backend.ports import RegistryStore, TrackingStore

MODELS_SCHEME = "models:/"
RUNS_SCHEME = "runs:/"


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
class BoundSource:
    storage_location: str
    run_id: str | None
    model_id: str | None


def bind(
    store: RegistryStore, tracking: TrackingStore, source: str, run_id: str | None, model_id: str | None
) -> BoundSource:
    """The storage location and owner of a new version's `source`; raises 400 when they do not agree."""
    run_id, model_id = run_id or None, model_id or None
    reference = parse_models_uri(source)
    if reference is not None and reference.model_id is not None:
        if model_id is not None and model_id != reference.model_id:
            raise InvalidParameter(f"model_id '{model_id}' does not match the source '{source}'")
        logged = _logged_model(tracking, reference.model_id, source)
        return _owned_by_model(tracking, logged, logged.artifact_location, run_id)
    if reference is not None:
        return _registered(store, source, reference, run_id)
    if source.startswith(RUNS_SCHEME):
        return _from_runs_uri(tracking, source, run_id, model_id)
    if model_id is not None:
        logged = _logged_model(tracking, model_id, source)
        return _owned_by_model(tracking, logged, _inside(source, logged.artifact_location, "logged model"), run_id)
    if run_id is not None:
        return _owned_by_run(_run(tracking, run_id), source)
    return _owner_from_path(tracking, source)


def _owned_by_model(tracking: TrackingStore, logged: LoggedModel, storage: str, run_id: str | None) -> BoundSource:
    """A logged model's run is the one it was logged from, whatever run id the caller names."""
    if run_id is not None and run_id != logged.source_run_id:
        raise InvalidParameter(
            f"run_id '{run_id}' is not the source run of logged model '{logged.model_id}' "
            f"({logged.source_run_id or 'it has none'})"
        )
    if logged.source_run_id is not None:
        run = _run(tracking, logged.source_run_id)
        if run.experiment_id != logged.experiment_id:
            raise InvalidParameter(f"Logged model '{logged.model_id}' and its source run are in different experiments")
    return BoundSource(storage, logged.source_run_id, logged.model_id)


def _owned_by_run(run: Run, source: str) -> BoundSource:
    return BoundSource(_inside(source, run.artifact_uri, "run"), run.run_id, None)


def _from_runs_uri(tracking: TrackingStore, source: str, run_id: str | None, model_id: str | None) -> BoundSource:
    named, _, path = source[len(RUNS_SCHEME) :].strip("/").partition("/")
    if run_id is not None and run_id != named:
        raise InvalidParameter(f"run_id '{run_id}' does not match the source '{source}'")
    run = _run(tracking, named)
    storage = run.artifact_uri.rstrip("/") + (f"/{artifact_paths.normalise(path)}" if path.strip("/") else "")
    if model_id is not None:
        logged = _logged_model(tracking, model_id, source)
        return _owned_by_model(tracking, logged, logged.artifact_location, run.run_id)
    return BoundSource(storage, run.run_id, None)


def _owner_from_path(tracking: TrackingStore, source: str) -> BoundSource:
    """No run or model named: the source must be an `mlflow-artifacts:` path inside one (the key layout of
    docs/adr/003-artifact-key-layout.md names its owner)."""
    path = artifact_paths.root_of(source)
    if path is None:
        raise InvalidParameter(
            f"Source '{source}' must lie inside the artifacts of a run or logged model: "
            "pass run_id or model_id, or register from runs:/<run_id>/<path> or models:/<model_id>"
        )
    owner = artifact_paths.resolve(path)
    if owner.owner is artifact_paths.Owner.LOGGED_MODEL:
        logged = _logged_model(tracking, owner.owner_id, source)
        return _owned_by_model(tracking, logged, _inside(source, logged.artifact_location, "logged model"), None)
    return _owned_by_run(_run(tracking, owner.owner_id), source)


def _registered(store: RegistryStore, source: str, reference: ModelReference, run_id: str | None) -> BoundSource:
    """A source naming another registered version (`models:/name/3`, `models:/name@alias`) is stored where
    that version is, and keeps its run and logged model."""
    assert reference.name is not None
    model = store.get_model(validation.model_name(reference.name))
    if reference.alias is not None:
        number = model.aliases.get(reference.alias)
    elif reference.version is not None and reference.version.isdigit():
        number = int(reference.version)
    else:
        number = max(model.latest.values(), default=None)
    if number is None:
        raise NotFound(f"Unable to fetch model from model URI source artifact location '{source}'.")
    found = store.get_version(model, number)
    if run_id is not None and run_id != found.run_id:
        raise InvalidParameter(f"run_id '{run_id}' is not the run of the source version '{source}'")
    return BoundSource(found.storage_location or found.source, found.run_id, found.model_id)


def _inside(source: str, root: str, owner: str) -> str:
    """`source` when it is `root` or a normalised path below it; 400 otherwise. `mlflow-artifacts:` URIs
    are compared by path, so `mlflow-artifacts:/0/…` and `mlflow-artifacts:///0/…` are the same place."""
    source_path, root_path = artifact_paths.root_of(source), artifact_paths.root_of(root)
    if source_path is None or root_path is None:
        source_path, root_path = source, root
    base, found = root_path.rstrip("/"), source_path.rstrip("/")
    if found == base:
        return source
    if found.startswith(base + "/"):
        artifact_paths.normalise(found[len(base) + 1 :])  # refuses `..`, backslashes and escapes of them
        return source
    raise InvalidParameter(f"Source '{source}' does not lie inside the artifacts of its {owner} ({root})")


def _run(tracking: TrackingStore, run_id: str) -> Run:
    try:
        return tracking.get_run(run_id)
    except NotFound:
        raise InvalidParameter(f"Run '{run_id}' of the model version's source does not exist") from None


def _logged_model(tracking: TrackingStore, model_id: str, source: str) -> LoggedModel:
    try:
        return tracking.get_logged_model(model_id)
    except TrackwayError as exc:
        raise InvalidParameter(
            f"Unable to fetch model from model URI source artifact location '{source}'. Error: {exc.message}"
        ) from None
