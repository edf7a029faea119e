"""Experiments on DynamoDB: an item per experiment and one per name, moved together on a rename."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import PynamoDBException

from trackway_backend.adapters.dynamo.errors import failed_conditions
from trackway_backend.adapters.dynamo.tracking_base import DynamoStoreBase, at_revision, transaction
from trackway_backend.adapters.dynamo.tracking_items import META, CounterItem, ExperimentItem, ExperimentNameItem
from trackway_backend.adapters.dynamo.tracking_mapping import experiment_from_item, experiment_to_item
from trackway_backend.domain import Experiment
from trackway_backend.errors import AlreadyExists, Conflict, NotFound
from trackway_backend.ports import ExperimentStore


class DynamoExperimentStore(DynamoStoreBase, ExperimentStore):
    def next_experiment_id(self) -> str:
        counter = CounterItem(pk="COUNTER#experiment", sk="#COUNTER")
        self._request(lambda: counter.update(actions=[CounterItem.value.add(1), CounterItem.kind.set(CounterItem)]))
        return str(counter.value)

    def create_experiment(self, experiment: Experiment) -> None:
        name_item = ExperimentNameItem(
            pk=f"EXPNAME#{experiment.name}", sk="#NAME", experiment_id=experiment.experiment_id
        )

        def create() -> None:
            with transaction() as writes:
                writes.save(name_item, condition=ExperimentNameItem.pk.does_not_exist())
                writes.save(experiment_to_item(experiment), condition=ExperimentItem.pk.does_not_exist())

        self._request(create, AlreadyExists, f"Experiment '{experiment.name}' already exists.")

    def get_experiment(self, experiment_id: str) -> Experiment:
        item = self._get(ExperimentItem, f"EXP#{experiment_id}", META)
        if item is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return experiment_from_item(item)

    def find_experiment_id(self, name: str) -> str | None:
        item = self._get(ExperimentNameItem, f"EXPNAME#{name}", "#NAME")
        return None if item is None else item.experiment_id

    def save_experiment(self, experiment: Experiment, previous_name: str | None = None) -> None:
        item = experiment_to_item(experiment)
        item.revision = experiment.revision + 1
        condition = at_revision(ExperimentItem.revision, experiment.revision)
        concurrent = f"Experiment {experiment.experiment_id} was updated concurrently"
        if previous_name is None or previous_name == experiment.name:
            self._request(lambda: item.save(condition=condition), Conflict, concurrent)
        else:
            self._rename_experiment(item, condition, previous_name)
        experiment.revision += 1

    def _rename_experiment(self, item: ExperimentItem, condition: Any, previous_name: str) -> None:
        """Move the name and save the experiment in one transaction: the name index never disagrees."""
        old_name = ExperimentNameItem(pk=f"EXPNAME#{previous_name}", sk="#NAME")
        new_name = ExperimentNameItem(pk=f"EXPNAME#{item.name}", sk="#NAME", experiment_id=item.experiment_id)

        def rename() -> None:
            try:
                with transaction() as writes:
                    writes.delete(old_name)
                    writes.save(new_name, condition=ExperimentNameItem.pk.does_not_exist())
                    writes.save(item, condition=condition)
            except PynamoDBException as exc:
                if 1 in failed_conditions(exc):
                    raise AlreadyExists(f"Experiment '{item.name}' already exists.") from exc
                raise

        self._request(rename, Conflict, f"Experiment {item.experiment_id} was updated concurrently")

    def list_experiments(self) -> Iterator[Experiment]:
        keys = self._index_keys(ExperimentItem, ["EXPERIMENTS"])
        for item in self._read_consistently(ExperimentItem, keys):
            yield experiment_from_item(item)
