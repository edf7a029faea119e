"""Registry workloads: create a model version, move an alias, load a model by alias (alias → download URI).

The alias is `bench`, not `champion` or `challenger`, so trackway's approval and deployment functions stay
out of the measurement (they run asynchronously in AWS anyway).
"""

from __future__ import annotations

from itertools import count

from bench.context import Context, served
from bench.rest import MlflowRest
from bench.timing import Measurement, Op, measure

ALIAS = "bench"
_CREATE = "POST /api/2.0/mlflow/registered-models/create"


class RegistryModel:
    """One registered model with a source run; created on first use, NotServed when the routes are missing."""

    _names = count()

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.rest = ctx.client()
        self.name = f"{ctx.label}-model-{next(self._names)}"
        self.run_id = ctx.new_run(self.rest)
        run = self.rest.get_run(self.run_id)
        self.source = f"{run['info']['artifact_uri']}/model"
        served(lambda: self.rest.create_registered_model(self.name), _CREATE)

    def new_version(self, rest: MlflowRest | None = None) -> str:
        return (rest or self.rest).create_model_version(self.name, self.source, self.run_id)


def create_version(ctx: Context) -> Measurement:
    model = RegistryModel(ctx)
    served(model.new_version, "POST /api/2.0/mlflow/model-versions/create")
    return measure(lambda _client: lambda _seq: model.new_version(), 1, ctx.sizes.registry_ops, ctx.sizes.repetitions)


def move_alias(ctx: Context) -> Measurement:
    model = RegistryModel(ctx)
    versions = [model.new_version(), model.new_version()]
    served(lambda: model.rest.set_alias(model.name, ALIAS, versions[0]), "POST /api/2.0/mlflow/registered-models/alias")

    def prepare(_client: int) -> Op:
        return lambda seq: model.rest.set_alias(model.name, ALIAS, versions[(seq + 1) % 2])

    return measure(prepare, 1, ctx.sizes.registry_ops, ctx.sizes.repetitions)


def load_by_alias(ctx: Context) -> Measurement:
    """What `mlflow.pyfunc.load_model("models:/<name>@bench")` asks before it downloads: alias, then URI."""
    model = RegistryModel(ctx)
    model.rest.set_alias(model.name, ALIAS, model.new_version())
    served(
        lambda: model.rest.download_uri_by_alias(model.name, ALIAS),
        "GET /api/2.0/mlflow/registered-models/alias + model-versions/get-download-uri",
    )

    def prepare(_client: int) -> Op:
        return lambda _seq: model.rest.download_uri_by_alias(model.name, ALIAS)

    return measure(prepare, 1, ctx.sizes.registry_ops, ctx.sizes.repetitions)
