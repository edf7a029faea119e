"""Models served in the function itself with MLflow's pyfunc flavour and MLflow's own scoring code, so the
protocol (`inputs`, `instances`, `dataframe_split`, `dataframe_records`, params, schema enforcement) is
exactly `mlflow models serve`'s. mlflow, pandas and the model's flavour are imported here only, lazily."""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Any

from trackway_backend.adapters.serving.model_files import S3ModelFiles
from trackway_backend.deployment_domain import LiveDeployment
from trackway_backend.deployment_ports import ModelLoader, Predictor, Scored
from trackway_backend.errors import InternalError
from trackway_backend.registry_domain import ModelVersion

log = logging.getLogger(__name__)
SERVING_INPUT_EXAMPLE = "serving_input_example.json"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class PyfuncPredictor(Predictor):
    def __init__(self, model: Any, path: Path) -> None:
        self._model = model
        self._path = path
        self._schema = model.metadata.get_input_schema()

    def invocations(self, body: str, content_type: str) -> Scored:
        from mlflow.exceptions import MlflowException
        from mlflow.pyfunc import scoring_server

        try:
            result = scoring_server.invocations(body, content_type, self._model, self._schema)  # type: ignore[no-untyped-call]
        except MlflowException as exc:
            return Scored(exc.get_http_status_code(), exc.serialize_as_json())  # type: ignore[no-untyped-call]
        return Scored(int(result.status), str(result.response), str(result.mimetype))

    def sample_input(self) -> str | None:
        example = self._path / SERVING_INPUT_EXAMPLE
        return example.read_text() if example.exists() else None


class PyfuncLoader(ModelLoader):
    def __init__(self, files: S3ModelFiles, cache_dir: Path) -> None:
        self._files = files
        self._cache = cache_dir

    def load(self, version: ModelVersion, live: LiveDeployment) -> Predictor:
        location = version.storage_location or version.source
        digest = hashlib.sha256(location.encode()).hexdigest()[:12]
        directory = self._cache / _UNSAFE.sub("_", version.name) / f"v{version.version}-{digest}"
        try:
            path = self._files.fetch(location, directory)
            import mlflow.pyfunc

            return PyfuncPredictor(mlflow.pyfunc.load_model(str(path)), path)
        except Exception as exc:
            log.exception("could not load %s version %s", version.name, version.version)
            raise InternalError(
                f"Model {version.name} version {version.version} could not be loaded: {type(exc).__name__}: {exc}"
            ) from exc
