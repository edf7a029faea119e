"""Real data for the browser tests, logged with the unmodified mlflow client."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

EXPERIMENT = "ui-browser-check"
MODEL = "ui-browser-model"
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
    run_ids: dict[str, str] = field(default_factory=dict)  # run name → id
    model: str = MODEL


def png(width: int = 48, height: int = 32) -> bytes:
    """A small valid RGB PNG (a gradient), built without image libraries."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 5 % 256, y * 8 % 256, 160)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def seed(tracking_uri: str, workdir: Path) -> Seeded:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment_id = client.create_experiment(EXPERIMENT, tags={"team": "vision"})
    seeded = Seeded(experiment_id)
    (workdir / "notes.txt").write_text(TEXT_CONTENT + "\n")
    (workdir / "curve.png").write_bytes(png())
    (workdir / "model").mkdir(exist_ok=True)
    (workdir / "model" / "MLmodel").write_text(MLMODEL)
    for index, (lr, depth) in enumerate([(0.1, 3), (0.01, 5), (0.001, 8)]):
        name = f"lr-{lr}"
        with mlflow.start_run(experiment_id=experiment_id, run_name=name) as run:
            mlflow.log_params({"learning_rate": lr, "max_depth": depth, "optimizer": "adam"})
            mlflow.set_tags({"stage": "tuning", "owner": f"user{index}"})
            for step in range(20):
                mlflow.log_metrics(
                    {"loss": (1.0 + index) / (step + 1), "accuracy": 0.5 + index * 0.1 + step * 0.01}, step=step
                )
            mlflow.log_metric("f1", 0.7 + index * 0.05)
            mlflow.log_artifact(str(workdir / "notes.txt"))
            mlflow.log_artifact(str(workdir / "curve.png"), "plots")
            mlflow.log_artifacts(str(workdir / "model"), "model")
            seeded.run_ids[name] = run.info.run_id
    client.create_registered_model(MODEL, tags={"domain": "vision"}, description="browser test model")
    for name in ("lr-0.1", "lr-0.01"):
        run_id = seeded.run_ids[name]
        source = f"{client.get_run(run_id).info.artifact_uri}/model"
        client.create_model_version(MODEL, source, run_id=run_id, tags={"origin": name})
    client.set_registered_model_alias(MODEL, "champion", "2")
    client.set_model_version_tag(MODEL, "2", "validation", "passed")
    return seeded
