from __future__ import annotations

import math

from trackway_backend.adapters.dynamo.tracking_items import META, RunItem
from trackway_backend.adapters.dynamo.tracking_mapping import run_from_item, run_to_item
from trackway_backend.domain import Metric, Run, RunStatus


def a_run() -> Run:
    run = Run(
        run_id="r1",
        experiment_id="0",
        run_name="ana",
        user_id="u",
        status=RunStatus.RUNNING,
        start_time=1,
        end_time=None,
        artifact_uri="mlflow-artifacts:/0/r1/artifacts",
    )
    run.params = {"lr": "0.1", "depth": "3"}
    run.tags = {"mlflow.user": "u", "note": "é"}
    run.metrics = {
        "loss": Metric("loss", math.inf, 5, 2),
        "acc": Metric("acc", 0.5, 6, 3, "m-1", "train", "d1"),
    }
    return run


def test_the_summary_round_trips_through_one_compressed_attribute() -> None:
    item = run_to_item(a_run(), gsi1pk="RUNS#0#1")
    serialized = item.serialize()
    assert "summary" in serialized
    assert not {"params", "tags", "metrics"} & set(serialized)
    assert run_from_item(RunItem.from_raw_data(serialized)) == a_run()


def test_a_summary_written_before_compression_still_reads() -> None:
    old = RunItem(
        pk="RUN#r1",
        sk=META,
        run_id="r1",
        experiment_id="0",
        run_name="ana",
        user_id="u",
        status="RUNNING",
        start_time=1,
        artifact_uri="mlflow-artifacts:/0/r1/artifacts",
        lifecycle_stage="active",
        params={"lr": "0.1", "depth": "3"},
        tags={"mlflow.user": "u", "note": "é"},
        metrics={"loss": [math.inf, 5, 2], "acc": [0.5, 6, 3, "m-1", "train", "d1"]},
    )
    assert run_from_item(RunItem.from_raw_data(old.serialize())) == a_run()


def test_the_compressed_params_tags_and_metrics_of_the_cost_model_run_fit_in_1_kb() -> None:
    run = a_run()
    run.params = {f"param_{k:02d}": f"value-{k}" for k in range(20)}
    run.metrics = {
        f"metric_{k:02d}": Metric(f"metric_{k:02d}", math.sin(k) / 3, 1_700_000_001_000 + k, 1000) for k in range(50)
    }
    assert len(run_to_item(run, gsi1pk="RUNS#0#1").summary or b"") < 1024
