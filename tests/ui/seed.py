"""Real data for the browser tests, logged with the unmodified mlflow client."""

from __future__ import annotations

import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

TEXT_CONTENT = "hello from the trackway browser test"
MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.pyfunc.model
    python_version: 3.11.2
mlflow_version: 3.17.2
signature:
  inputs: '[{"type": "double", "name": "x", "required": true}]'
  outputs: '[{"type": "double", "required": true}]'
"""


@dataclass
class Seeded:
    experiment_id: str
    experiment: str
    model: str
    run_ids: dict[str, str] = field(default_factory=dict)  # run name → id


def png(width: int = 48, height: int = 32) -> bytes:
    """A small valid RGB PNG (a gradient), built without image libraries."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 5 % 256, y * 8 % 256, 160)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed(tracking_uri: str, workdir: Path, suffix: str = "") -> Seeded:
    """Three finished runs and a registered model with two versions, an alias and tags: one call per item
    where the client allows it (log_batch), so seeding stays quick."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    client = MlflowClient(tracking_uri)
    experiment, model = f"ui-check-{suffix}", f"ui-model-{suffix}"
    experiment_id = client.create_experiment(experiment, tags={"team": "vision"})
    seeded = Seeded(experiment_id, experiment, model)
    (workdir / "notes.txt").write_text(TEXT_CONTENT + "\n")
    (workdir / "curve.png").write_bytes(png())
    (workdir / "model").mkdir(exist_ok=True)
    (workdir / "model" / "MLmodel").write_text(MLMODEL)
    now = int(time.time() * 1000)
    for index, (lr, depth) in enumerate([(0.1, 3), (0.01, 5), (0.001, 8)]):
        name = f"lr-{lr}"
        run = client.create_run(experiment_id, run_name=name, tags={"stage": "tuning", "owner": f"user{index}"})
        run_id = run.info.run_id
        metrics = [
            Metric(key, value, now + step, step)
            for step in range(20)
            for key, value in (("loss", (1.0 + index) / (step + 1)), ("accuracy", 0.5 + index * 0.1 + step * 0.01))
        ]
        metrics.append(Metric("f1", 0.7 + index * 0.05, now, 0))
        params = [Param("learning_rate", str(lr)), Param("max_depth", str(depth)), Param("optimizer", "adam")]
        client.log_batch(run_id, metrics=metrics, params=params, tags=[RunTag("mlflow.user", "ui-test")])
        if index == 0:  # artifact uploads are the slow part of seeding: one run gets the previews
            client.log_artifact(run_id, str(workdir / "notes.txt"))
            client.log_artifact(run_id, str(workdir / "curve.png"), "plots")
        if index < 2:  # the registered versions' MLmodel
            client.log_artifact(run_id, str(workdir / "model" / "MLmodel"), "model")
        client.set_terminated(run_id)
        seeded.run_ids[name] = run_id
    client.create_registered_model(model, tags={"domain": "vision"}, description="browser test model")
    for name in ("lr-0.1", "lr-0.01"):
        run_id = seeded.run_ids[name]
        source = f"{client.get_run(run_id).info.artifact_uri}/model"
        client.create_model_version(model, source, run_id=run_id, tags={"origin": name})
    client.set_registered_model_alias(model, "champion", "2")
    client.set_model_version_tag(model, "2", "validation", "passed")
    return seeded
