"""Read-only views of MLflow entities, mapped explicitly from their JSON (unknown fields ignored)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def _int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _kv(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {item["key"]: str(item.get("value", "")) for item in items or []}


@dataclass(frozen=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: str = ""
    lifecycle_stage: str = "active"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Experiment:
        return cls(
            str(data["experiment_id"]),
            data.get("name", ""),
            data.get("artifact_location", ""),
            data.get("lifecycle_stage", "active"),
        )


@dataclass(frozen=True)
class Metric:
    key: str
    value: float
    timestamp: int
    step: int

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Metric:
        return cls(data["key"], float(data["value"]), int(data.get("timestamp", 0)), int(data.get("step", 0)))


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str = ""
    status: str = "RUNNING"
    start_time: int | None = None
    end_time: int | None = None
    artifact_uri: str = ""
    lifecycle_stage: str = "active"
    user_id: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunInfo:
        return cls(
            run_id=data.get("run_id") or data.get("run_uuid", ""),
            experiment_id=str(data.get("experiment_id", "")),
            run_name=data.get("run_name", ""),
            status=data.get("status", "RUNNING"),
            start_time=_int(data.get("start_time")),
            end_time=_int(data.get("end_time")),
            artifact_uri=data.get("artifact_uri", ""),
            lifecycle_stage=data.get("lifecycle_stage", "active"),
            user_id=data.get("user_id", ""),
        )


@dataclass(frozen=True)
class RunData:
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunData:
        metrics = {m["key"]: float(m["value"]) for m in data.get("metrics") or []}
        return cls(metrics, _kv(data.get("params")), _kv(data.get("tags")))


@dataclass(frozen=True)
class Run:
    """A run as `start_run` and `get_run` return it: `run.info.run_id`, `run.data.metrics`…"""

    info: RunInfo
    data: RunData = field(default_factory=RunData)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Run:
        return cls(RunInfo.from_json(data.get("info", {})), RunData.from_json(data.get("data", {})))


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str
    source: str = ""
    run_id: str = ""
    status: str = "READY"
    aliases: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelVersion:
        return cls(
            data["name"],
            str(data["version"]),
            data.get("source", ""),
            data.get("run_id", ""),
            data.get("status", "READY"),
            tuple(data.get("aliases") or ()),
        )
