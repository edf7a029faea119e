"""Logged models on DynamoDB: one item each, indexed by experiment."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase, at_revision
from trackway_backend.adapters.dynamo.tracking_items import META, LoggedModelItem
from trackway_backend.adapters.dynamo.tracking_mapping import logged_model_from_item, logged_model_to_item
from trackway_backend.domain import LoggedModel
from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.ports import LoggedModelStore


class DynamoLoggedModelStore(DynamoStoreBase, LoggedModelStore):
    def create_logged_model(self, model: LoggedModel) -> None:
        item = logged_model_to_item(model)
        self._request(
            lambda: item.save(condition=LoggedModelItem.pk.does_not_exist()),
            AlreadyExists,
            f"Logged model '{model.model_id}' already exists",
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        item = self._get(LoggedModelItem, f"LM#{model_id}", META)
        if item is None:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        return logged_model_from_item(item)

    def save_logged_model(self, model: LoggedModel) -> None:
        item = logged_model_to_item(model)
        item.revision = model.revision + 1
        condition = at_revision(LoggedModelItem.revision, model.revision)
        self._request(
            lambda: item.save(condition=condition),
            Conflict,
            f"Logged model '{model.model_id}' was updated concurrently",
        )
        model.revision += 1

    def list_logged_models(self, experiment_ids: Iterable[str]) -> Iterator[LoggedModel]:
        keys = self._index_keys(LoggedModelItem, [f"LMS#{experiment_id}" for experiment_id in experiment_ids])
        for item in self._read_consistently(LoggedModelItem, keys):
            yield logged_model_from_item(item)
