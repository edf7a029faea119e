"""Read-your-writes against a DynamoDB that serves stale reads, and no lost updates under races, on moto."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.stale_dynamo import StaleReads, stale_reads
from trackway_backend.adapters.dynamo.tracking_items import ExperimentItem, MetricChunkItem
from trackway_backend.adapters.dynamo.tracking_store import DynamoTrackingStore
from trackway_backend.domain import Metric, Run, ViewType
from trackway_backend.errors import AlreadyExists, Conflict, InvalidParameter
from trackway_backend.logic import experiments, logged_models, metrics, runs

ROOT = "mlflow-artifacts:/"


@pytest.fixture
def store(call: Any) -> DynamoTrackingStore:
    return DynamoTrackingStore()


@pytest.fixture
def stale(store: DynamoTrackingStore) -> Iterator[StaleReads]:
    with stale_reads() as double:
        yield double


def a_run(store: DynamoTrackingStore, name: str = "e") -> Run:
    experiment_id = experiments.create(store, name, ROOT, None, {})
    return runs.create(store, experiment_id, "ana", "r", None, {})


# the double itself
def test_the_double_serves_the_previous_version_to_reads_that_are_not_consistent(
    store: DynamoTrackingStore, stale: StaleReads
) -> None:
    experiment_id = experiments.create(store, "before", ROOT, None, {})
    experiments.rename(store, experiment_id, "after")
    assert ExperimentItem.get(f"EXP#{experiment_id}", "#META").name == "before"
    assert ExperimentItem.get(f"EXP#{experiment_id}", "#META", consistent_read=True).name == "after"
    assert stale.stale_served >= 1


# read-your-writes
def test_create_then_get_sees_the_experiment_and_the_run(store: DynamoTrackingStore, stale: StaleReads) -> None:
    experiment_id = experiments.create(store, "fresh", ROOT, None, {"team": "a"})
    assert experiments.get(store, experiment_id).tags == {"team": "a"}
    assert experiments.get_by_name(store, "fresh").experiment_id == experiment_id
    run = runs.create(store, experiment_id, "ana", "r", None, {})
    assert runs.get(store, run.run_id).run_name == "r"


def test_log_then_get_run_sees_params_tags_and_latest(store: DynamoTrackingStore, stale: StaleReads) -> None:
    run = a_run(store)
    runs.log_batch(store, run.run_id, [Metric("loss", 0.5, 10, 1)], {"lr": "0.1"}, {"t": "v"})
    runs.log_batch(store, run.run_id, [Metric("loss", 0.25, 20, 2)], {}, {})
    seen = runs.get(store, run.run_id)
    assert seen.params == {"lr": "0.1"}
    assert seen.tags["t"] == "v"
    assert seen.metrics["loss"].value == 0.25
    assert stale.stale_served == 0  # every read on the path was consistent


def test_log_then_history_sees_every_point(store: DynamoTrackingStore, stale: StaleReads) -> None:
    run = a_run(store)
    runs.log_batch(store, run.run_id, [Metric("loss", 0.5, 10, 1)], {}, {})
    runs.log_batch(store, run.run_id, [Metric("loss", 0.4, 11, 2)], {}, {})
    page = metrics.history(store, run.run_id, "loss", None, None)
    assert [(m.step, m.value) for m in page.items] == [(1, 0.5), (2, 0.4)]


def test_log_then_search_sees_the_write(store: DynamoTrackingStore, stale: StaleReads) -> None:
    run = a_run(store)
    runs.log_batch(store, run.run_id, [Metric("acc", 0.9, 10, 1)], {"depth": "3"}, {})
    page = runs.search(
        store, [run.experiment_id], "metrics.acc > 0.5 and params.depth = '3'", ViewType.ACTIVE_ONLY, 10, [], None
    )
    assert [found.run_id for found in page.items] == [run.run_id]
    assert page.items[0].metrics["acc"].value == 0.9
    assert stale.stale_served > 0  # the index query was served stale; the items were read again


def test_experiment_and_logged_model_writes_are_seen_by_their_searches(
    store: DynamoTrackingStore, stale: StaleReads
) -> None:
    run = a_run(store)
    experiments.set_tag(store, run.experiment_id, "stage", "prod")
    found = experiments.search(store, ViewType.ACTIVE_ONLY, "tags.stage = 'prod'", [], 10, None)
    assert [e.experiment_id for e in found.items] == [run.experiment_id]
    model = logged_models.create(store, run.experiment_id, "m", None, run.run_id, {}, {})
    logged_models.set_tags(store, model.model_id, {"k": "v"})
    assert logged_models.get(store, model.model_id).tags == {"k": "v"}
    listed = logged_models.search(store, [run.experiment_id], "tags.k = 'v'", [], 10, None)
    assert [m.model_id for m in listed.items] == [model.model_id]


# no lost updates
def racing(store: DynamoTrackingStore, method: str, competitor: Callable[[], None]) -> list[int]:
    """Run `competitor` once, right after the first read through `store.<method>`: the classic race
    between a read and the conditional write that follows it."""
    original = getattr(store, method)
    reads: list[int] = []

    def read(*args: Any) -> Any:
        value = original(*args)
        reads.append(1)
        if len(reads) == 1:
            competitor()
        return value

    setattr(store, method, read)
    return reads


def test_two_racing_experiment_tag_writes_both_survive(store: DynamoTrackingStore) -> None:
    experiment_id = experiments.create(store, "tags", ROOT, None, {})
    rival = DynamoTrackingStore()
    reads = racing(store, "get_experiment", lambda: experiments.set_tag(rival, experiment_id, "b", "2"))
    experiments.set_tag(store, experiment_id, "a", "1")
    assert len(reads) == 2  # the first save lost the race and was re-applied
    assert experiments.get(rival, experiment_id).tags == {"a": "1", "b": "2"}


def test_a_rename_racing_a_tag_write_keeps_the_rename_and_the_name_index(store: DynamoTrackingStore) -> None:
    experiment_id = experiments.create(store, "old", ROOT, None, {})
    rival = DynamoTrackingStore()
    racing(store, "get_experiment", lambda: experiments.rename(rival, experiment_id, "new"))
    experiments.set_tag(store, experiment_id, "a", "1")
    seen = experiments.get(rival, experiment_id)
    assert (seen.name, seen.tags) == ("new", {"a": "1"})
    assert rival.find_experiment_id("new") == experiment_id
    assert rival.find_experiment_id("old") is None


def test_a_tag_write_racing_a_rename_keeps_both(store: DynamoTrackingStore) -> None:
    experiment_id = experiments.create(store, "old", ROOT, None, {})
    rival = DynamoTrackingStore()
    racing(store, "get_experiment", lambda: experiments.set_tag(rival, experiment_id, "a", "1"))
    experiments.rename(store, experiment_id, "new")
    seen = experiments.get(rival, experiment_id)
    assert (seen.name, seen.tags) == ("new", {"a": "1"})
    assert (rival.find_experiment_id("new"), rival.find_experiment_id("old")) == (experiment_id, None)


def test_a_rename_to_a_taken_name_is_refused_and_changes_nothing(store: DynamoTrackingStore) -> None:
    experiment_id = experiments.create(store, "one", ROOT, None, {})
    experiments.create(store, "two", ROOT, None, {})
    with pytest.raises(AlreadyExists):
        experiments.rename(store, experiment_id, "two")
    assert experiments.get(store, experiment_id).name == "one"
    assert store.find_experiment_id("one") == experiment_id


def test_racing_logged_model_tag_writes_both_survive(store: DynamoTrackingStore) -> None:
    run = a_run(store)
    model = logged_models.create(store, run.experiment_id, "m", None, None, {}, {})
    rival = DynamoTrackingStore()
    reads = racing(store, "get_logged_model", lambda: logged_models.set_tags(rival, model.model_id, {"b": "2"}))
    logged_models.set_tags(store, model.model_id, {"a": "1"})
    assert len(reads) == 2
    assert logged_models.get(rival, model.model_id).tags == {"a": "1", "b": "2"}


def test_racing_run_writes_both_survive(store: DynamoTrackingStore) -> None:
    run = a_run(store)
    rival = DynamoTrackingStore()
    racing(store, "get_run_summary", lambda: runs.log_batch(rival, run.run_id, [Metric("b", 2.0, 1, 0)], {}, {}))
    runs.log_batch(store, run.run_id, [Metric("a", 1.0, 1, 0)], {"p": "1"}, {})
    seen = runs.get(rival, run.run_id)
    assert set(seen.metrics) == {"a", "b"} and seen.params == {"p": "1"}


def test_a_param_conflict_found_after_a_lost_race_is_400_and_writes_no_points(store: DynamoTrackingStore) -> None:
    run = a_run(store)
    rival = DynamoTrackingStore()
    racing(store, "get_run_summary", lambda: runs.log_batch(rival, run.run_id, [], {"lr": "0.1"}, {}))
    with pytest.raises(InvalidParameter):
        runs.log_batch(store, run.run_id, [Metric("loss", 1.0, 1, 0)], {"lr": "0.2"}, {})
    assert list(MetricChunkItem.scan()) == []
    assert runs.get(rival, run.run_id).params == {"lr": "0.1"}


def test_a_replayed_batch_adds_no_points_and_does_not_rewrite_the_summary(store: DynamoTrackingStore) -> None:
    run = a_run(store)
    batch = [Metric("loss", float(s), 100 + s, s) for s in range(30)]
    runs.log_batch(store, run.run_id, batch, {"p": "1"}, {"t": "1"})
    revision = store.get_run_summary(run.run_id).revision
    runs.log_batch(store, run.run_id, batch, {"p": "1"}, {"t": "1"})
    assert store.get_run_summary(run.run_id).revision == revision
    assert len(metrics.history(store, run.run_id, "loss", None, None).items) == 30


def test_a_run_that_keeps_losing_races_gets_503_with_retry_after(call: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    _, body = call("POST", "/api/2.0/mlflow/experiments/create", {"name": "busy"})
    _, body = call("POST", "/api/2.0/mlflow/runs/create", {"experiment_id": body["experiment_id"]})
    run_id = body["run"]["info"]["run_id"]

    def always_beaten(self: DynamoTrackingStore, run: Run, events: Any = ()) -> None:
        raise Conflict("beaten")

    monkeypatch.setattr(DynamoTrackingStore, "save_run", always_beaten)
    monkeypatch.setattr("trackway_backend.concurrency.time.sleep", lambda seconds: None)
    from tests.integration.conftest import Context, api_event
    from trackway_backend.handlers import tracking

    event = api_event(
        "POST", "/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, "params": [{"key": "a", "value": "1"}]}
    )
    response = tracking.handler(event, Context())
    assert response["statusCode"] == 503
    assert int(response["headers"]["Retry-After"]) >= 1
    assert '"TEMPORARILY_UNAVAILABLE"' in response["body"]
    assert list(MetricChunkItem.scan()) == []
