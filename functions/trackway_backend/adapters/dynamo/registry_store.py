"""RegistryStore on DynamoDB with pynamodb: every change is one conditional TransactWriteItems."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.transactions import TransactWrite

from trackway_backend.adapters.dynamo.errors import translated
from trackway_backend.adapters.dynamo.outbox import outbox_item
from trackway_backend.adapters.dynamo.registry_items import (
    META,
    MODELS,
    ModelVersionItem,
    RegisteredModelItem,
    RegistryItem,
    model_key,
    version_sort_key,
    versions_key,
)
from trackway_backend.adapters.dynamo.registry_mapping import (
    model_from_item,
    model_to_item,
    version_from_item,
    version_to_item,
)
from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.events import DomainEvent
from trackway_backend.ports import RegistryChange, RegistryStore
from trackway_backend.registry_domain import ModelVersion, RegisteredModel

_LOST_RACE = {"ConditionalCheckFailed", "TransactionConflict"}
_PARALLEL_QUERIES = 16


class DynamoRegistryStore(RegistryStore):
    def __init__(self) -> None:
        self.requests = 0  # DynamoDB requests made; read by tests

    def get_model(self, name: str) -> RegisteredModel:
        try:
            with translated():
                item = RegisteredModelItem.get(model_key(name), META, consistent_read=True)
        except DoesNotExist:
            raise NotFound(f"Registered Model with name={name} not found") from None
        finally:
            self.requests += 1
        return model_from_item(item)

    def list_models(self) -> Iterator[RegisteredModel]:
        with translated():
            for item in RegisteredModelItem.by_collection.query(MODELS):
                yield model_from_item(item)  # type: ignore[arg-type]

    def get_version(self, model: RegisteredModel, version: int) -> ModelVersion:
        try:
            with translated():
                item = ModelVersionItem.get(
                    versions_key(model.registry_id), version_sort_key(version), consistent_read=True
                )
        except DoesNotExist:
            raise NotFound(f"Model Version (name={model.name}, version={version}) not found") from None
        finally:
            self.requests += 1
        return version_from_item(item, model)

    def get_versions(self, wanted: Iterable[tuple[RegisteredModel, int]]) -> list[ModelVersion]:
        keys = {(versions_key(model.registry_id), version_sort_key(number)): model for model, number in wanted}
        if not keys:
            return []
        with translated():
            items = list(ModelVersionItem.batch_get(list(keys), consistent_read=True))
        self.requests += 1 + len(keys) // 100
        return [version_from_item(item, keys[(item.pk, item.sk)]) for item in items]

    def list_versions(self, models: Sequence[RegisteredModel]) -> Iterator[ModelVersion]:
        def query(model: RegisteredModel) -> list[ModelVersion]:
            with translated():
                items = ModelVersionItem.query(versions_key(model.registry_id), consistent_read=True)
                return [version_from_item(item, model) for item in items]

        if len(models) == 1:
            self.requests += 1
            yield from query(models[0])
            return
        with ThreadPoolExecutor(max_workers=max(1, min(_PARALLEL_QUERIES, len(models)))) as pool:
            for versions in pool.map(query, models):
                self.requests += 1
                yield from versions

    def create_model(self, model: RegisteredModel, events: Sequence[DomainEvent] = ()) -> None:
        with _transaction(already_exists_at=0) as transaction:
            transaction.save(model_to_item(model, 1), condition=RegisteredModelItem.pk.does_not_exist())
            for event in events:
                transaction.save(outbox_item(event))
        self.requests += 1
        model.revision = 1

    def commit(self, change: RegistryChange) -> None:
        model, expected = change.model, change.model.revision
        is_current = RegisteredModelItem.revision == expected
        item = model_to_item(model, expected + 1)
        previous_name = change.previous_name if change.previous_name != model.name else None
        with _transaction(already_exists_at=None if previous_name is None else 1) as transaction:
            if change.delete_model:
                transaction.delete(RegisteredModelItem(model_key(model.name), META), condition=is_current)
            elif previous_name is not None:
                old = RegisteredModelItem(model_key(previous_name), META)
                transaction.delete(old, condition=is_current)
                transaction.save(item, condition=RegisteredModelItem.pk.does_not_exist())
            else:
                transaction.save(item, condition=is_current)
            if change.created_version is not None:
                created = version_to_item(model.registry_id, change.created_version)
                transaction.save(created, condition=ModelVersionItem.pk.does_not_exist())
            for version in change.versions:
                transaction.save(version_to_item(model.registry_id, version))
            for number in change.deleted_versions:
                transaction.delete(ModelVersionItem(versions_key(model.registry_id), version_sort_key(number)))
            for event in change.events:
                transaction.save(outbox_item(event))
        self.requests += 1
        model.revision = expected + 1
        if change.delete_model:
            self._purge_versions(model.registry_id)

    def _purge_versions(self, registry_id: str) -> None:
        """Versions of a deleted model are unreachable (a new model of the same name gets a new
        registry_id); removing them is housekeeping after the commit, not part of it."""
        with translated(), ModelVersionItem.batch_write() as batch:
            for item in ModelVersionItem.query(versions_key(registry_id)):
                batch.delete(item)
        self.requests += 1


@contextmanager
def _transaction(already_exists_at: int | None = None) -> Iterator[TransactWrite]:
    """A TransactWrite on the registry's connection. A lost race becomes `Conflict` (the caller re-reads
    and retries); a failed condition on the item at `already_exists_at` becomes `AlreadyExists`."""
    connection: Any = RegistryItem._get_connection().connection
    try:
        with TransactWrite(connection=connection) as transaction:
            yield transaction
    except PynamoDBException as exc:
        reasons = [getattr(reason, "code", None) for reason in getattr(exc, "cancellation_reasons", None) or []]
        at = already_exists_at
        if at is not None and len(reasons) > at and reasons[at] == "ConditionalCheckFailed":
            raise AlreadyExists("Registered model already exists") from exc
        if _LOST_RACE.intersection(code for code in reasons if code):
            raise Conflict("The registered model was changed concurrently; retry") from exc
        with translated():
            raise
