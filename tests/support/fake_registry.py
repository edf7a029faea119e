"""An in-memory RegistryStore with the same conditional-write semantics as the DynamoDB one, for unit tests.

`lose_races` makes the next N commits fail with Conflict after another writer "won", as under contention.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence

from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel


class InMemoryRegistryStore(RegistryStore):
    def __init__(self) -> None:
        self.models: dict[str, RegisteredModel] = {}
        self.versions: dict[str, dict[int, ModelVersion]] = {}
        self.outbox: list[DomainEvent] = []
        self.lose_races = 0
        self.commits = 0
        self._lock = threading.Lock()

    def get_model(self, name: str) -> RegisteredModel:
        with self._lock:
            if name not in self.models:
                raise NotFound(f"Registered Model with name={name} not found")
            return copy.deepcopy(self.models[name])

    def list_models(self) -> Iterator[RegisteredModel]:
        with self._lock:
            found = [copy.deepcopy(model) for _, model in sorted(self.models.items())]
        yield from found

    def get_version(self, model: RegisteredModel, version: int) -> ModelVersion:
        found = self.get_versions([(model, version)])
        if not found:
            raise NotFound(f"Model Version (name={model.name}, version={version}) not found")
        return found[0]

    def get_versions(self, wanted: Iterable[tuple[RegisteredModel, int]]) -> list[ModelVersion]:
        found = []
        with self._lock:
            for model, number in wanted:
                stored = self.versions.get(model.registry_id, {}).get(number)
                if stored is not None:
                    found.append(self._view(stored, model))
        return found

    def list_versions(self, models: Sequence[RegisteredModel]) -> Iterator[ModelVersion]:
        with self._lock:
            found = [
                self._view(version, model)
                for model in models
                for _, version in sorted(self.versions.get(model.registry_id, {}).items())
            ]
        yield from found

    def create_model(self, model: RegisteredModel, events: Sequence[DomainEvent] = ()) -> None:
        with self._lock:
            if model.name in self.models:
                raise AlreadyExists("Registered model already exists")
            model.revision = 1
            self.models[model.name] = copy.deepcopy(model)
            self.outbox += events

    def commit(self, change: RegistryChange) -> None:
        with self._lock:
            model = change.model
            old_name = change.previous_name or model.name
            stored = self.models.get(old_name)
            if self.lose_races:
                self.lose_races -= 1
                if stored is not None:
                    stored.revision += 1  # the other writer's commit
                raise Conflict("lost the race")
            if stored is None or stored.revision != model.revision:
                raise Conflict("stale revision")
            if change.previous_name and change.previous_name != model.name and model.name in self.models:
                raise AlreadyExists("Registered model already exists")
            versions = self.versions.setdefault(model.registry_id, {})
            if change.created_version is not None and change.created_version.version in versions:
                raise Conflict("version exists")
            model.revision += 1
            del self.models[old_name]
            if not change.delete_model:
                self.models[model.name] = copy.deepcopy(model)
            for version in [*change.versions, *filter(None, [change.created_version])]:
                versions[version.version] = copy.deepcopy(version)
            for number in change.deleted_versions:
                versions.pop(number, None)
            if change.delete_model:
                self.versions.pop(model.registry_id, None)
            self.outbox += change.events
            self.commits += 1

    @staticmethod
    def _view(version: ModelVersion, model: RegisteredModel) -> ModelVersion:
        view = copy.deepcopy(version)
        view.name, view.aliases = model.name, model.aliases_of(version.version)
        return view
