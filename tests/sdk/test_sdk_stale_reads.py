"""A store whose reads lag behind its writes: the fake serves them, and the SDK's read-after-write copes."""

from __future__ import annotations

import pytest

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.errors import RestError
from trackway.http import RestClient
from trackway.retry import NO_RETRY
from trackway.session import Session

API = "/api/2.0/mlflow"


def test_the_fake_serves_stale_reads_after_a_write(fake: FakeMlflow) -> None:
    fake.stale_reads(2)
    client = RestClient(fake.url, retry=NO_RETRY)
    created = client.call("POST", f"{API}/experiments/create", {"name": "lagging"})["experiment_id"]
    for _ in range(2):
        with pytest.raises(RestError) as raised:
            client.call("GET", f"{API}/experiments/get", {"experiment_id": created})
        assert raised.value.error_code == "RESOURCE_DOES_NOT_EXIST"
    assert client.call("GET", f"{API}/experiments/get", {"experiment_id": created})["experiment"]["name"] == "lagging"


def test_set_experiment_and_logging_work_against_stale_reads(session: Session, fake: FakeMlflow) -> None:
    fake.stale_reads(3)
    experiment = session.set_experiment("made-while-stale")
    assert experiment is not None and experiment.name == "made-while-stale"
    with session.start_run() as run:
        for step in range(100):
            session.log_metric("m", float(step), step=step)
    assert fake.runs[run.info.run_id]["experiment_id"] == experiment.experiment_id
    assert len(fake.stored_points(run.info.run_id)) == 100
