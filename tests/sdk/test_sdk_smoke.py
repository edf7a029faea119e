from __future__ import annotations

from tests.sdk.fake_mlflow import FakeMlflow
from trackway.session import Session


def test_run_roundtrip(session: Session, fake: FakeMlflow) -> None:
    session.set_experiment("exp-a")
    with session.start_run(run_name="r1", tags={"t": 1}) as run:
        session.log_param("lr", 0.1)
        for step in range(10):
            session.log_metric("loss", 1.0 / (step + 1), step=step)
        session.set_tag("phase", "train")
    run_id = run.info.run_id
    assert fake.runs[run_id]["status"] == "FINISHED"
    assert fake.params[run_id] == {"lr": "0.1"}
    assert fake.tags[run_id]["phase"] == "train"
    assert fake.tags[run_id]["t"] == "1"
    assert len(fake.stored_points(run_id, "loss")) == 10
