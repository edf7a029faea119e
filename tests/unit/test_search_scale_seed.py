"""bench/search_scale.py writes run summaries without the API: they must be the items the store writes."""

from bench.search_scale import by_metric, metric_filtered, newest, params, run_id, start_time, summary_item
from bench.search_workloads import metric_values, param_value

from trackway_backend.adapters.dynamo.run_store import DynamoRunStore
from trackway_backend.adapters.dynamo.tracking_mapping import run_from_item


def test_a_seeded_summary_is_the_item_the_store_writes_for_that_run() -> None:
    item = summary_item("7", "mlflow-artifacts:/7", 5, 64)
    run = run_from_item(item)

    assert DynamoRunStore(run_index_shards=64)._run_item(run).serialize() == item.serialize()
    assert (run.run_id, run.experiment_id, run.start_time) == (run_id(5), "7", start_time(5))
    assert run.params == params(5)
    assert [run.metrics[f"m{k}"].value for k in range(3)] == metric_values(5)


def test_the_expected_pages_follow_the_seed_order() -> None:
    assert newest(10, 3) == [run_id(9), run_id(8), run_id(7)]
    assert newest(10, 100, metric_filtered) == [run_id(i) for i in range(9, -1, -1) if metric_values(i)[0] > 0.5]
    by_id = {run_id(i): i for i in range(2_000)}
    ordered = [by_id[identifier] for identifier in by_metric(2_000, 50)]
    assert len(ordered) == 50
    assert all(metric_values(i)[0] > 0.5 and param_value(i) == "a" for i in ordered)
    keys = [(-metric_values(i)[1], -start_time(i)) for i in ordered]
    assert keys == sorted(keys)
