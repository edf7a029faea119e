"""Tracking calls (experiments, runs, metrics) over the MLflow REST API."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from trackway.entities import Experiment, Metric, Run, RunInfo
from trackway.errors import RestError
from trackway.http import RestClient

API = "/api/2.0/mlflow"
_ALREADY_EXISTS = ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS")
_T = TypeVar("_T")


def now_ms() -> int:
    return int(time.time() * 1000)


def _after_write(read: Callable[[], _T | None], attempts: int = 6, delay: float = 0.05) -> _T | None:
    """`read()` until it finds what was just written (None: not yet), with a short backoff."""
    for attempt in range(attempts):
        found = read()
        if found is not None or attempt == attempts - 1:
            return found
        time.sleep(delay * 2**attempt)
    return None


class TrackingAPI:
    """Experiments, runs and metric history. Mixed into `TrackwayClient`; needs `self.rest`."""

    rest: RestClient

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called `name`, or None when there is none."""
        try:
            body = self.rest.call("GET", f"{API}/experiments/get-by-name", {"experiment_name": name})
        except RestError as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise
        return Experiment.from_json(body["experiment"])

    def get_experiment(self, experiment_id: str) -> Experiment:
        body = self.rest.call("GET", f"{API}/experiments/get", {"experiment_id": experiment_id})
        return Experiment.from_json(body["experiment"])

    def get_or_create_experiment(self, name: str) -> Experiment:
        """The experiment called `name`, created when missing (tolerating a concurrent creator).

        The read after a create tolerates a store whose reads lag behind its writes for a moment.
        """
        found = self.get_experiment_by_name(name)
        if found is not None:
            return found
        try:
            body = self.rest.call("POST", f"{API}/experiments/create", {"name": name})
        except RestError as exc:
            if exc.error_code not in _ALREADY_EXISTS:
                raise
            again = _after_write(lambda: self.get_experiment_by_name(name))
            if again is None:
                raise
            return again
        experiment_id = str(body["experiment_id"])
        created = _after_write(lambda: self._experiment_or_none(experiment_id))
        return created or Experiment(experiment_id, name)

    def _experiment_or_none(self, experiment_id: str) -> Experiment | None:
        try:
            return self.get_experiment(experiment_id)
        except RestError as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    def create_run(self, experiment_id: str, run_name: str | None = None, tags: dict[str, str] | None = None) -> Run:
        """Create a RUNNING run; the server picks the run id (and a name when none is given)."""
        body: dict[str, Any] = {
            "experiment_id": experiment_id,
            "start_time": now_ms(),
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        if run_name:
            body["run_name"] = run_name
        return Run.from_json(self.rest.call("POST", f"{API}/runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        return Run.from_json(self.rest.call("GET", f"{API}/runs/get", {"run_id": run_id})["run"])

    def update_run(self, run_id: str, status: str, end_time: int | None = None) -> RunInfo:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "status": status}
        if end_time is not None:
            body["end_time"] = end_time
        return RunInfo.from_json(self.rest.call("POST", f"{API}/runs/update", body).get("run_info", {}))

    def delete_run(self, run_id: str) -> None:
        self.rest.call("POST", f"{API}/runs/delete", {"run_id": run_id})

    def log_batch(
        self,
        run_id: str,
        metrics: list[dict[str, Any]] | None = None,
        params: list[dict[str, str]] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> None:
        """One synchronous log-batch call (the fluent API batches in the background instead)."""
        self.rest.call(
            "POST",
            f"{API}/runs/log-batch",
            {"run_id": run_id, "metrics": metrics or [], "params": params or [], "tags": tags or []},
        )

    def search_runs(
        self,
        experiment_ids: list[str],
        filter_string: str = "",
        order_by: list[str] | None = None,
        max_results: int = 1000,
    ) -> list[Run]:
        """Runs of the experiments, following page tokens until `max_results` runs are read."""
        runs: list[Run] = []
        token: str | None = None
        while len(runs) < max_results:
            body: dict[str, Any] = {
                "experiment_ids": experiment_ids,
                "filter": filter_string,
                "max_results": min(1000, max_results - len(runs)),
                "order_by": order_by or [],
                "run_view_type": "ACTIVE_ONLY",
            }
            if token:
                body["page_token"] = token
            page = self.rest.call("POST", f"{API}/runs/search", body)
            runs.extend(Run.from_json(run) for run in page.get("runs") or [])
            token = page.get("next_page_token")
            if not token:
                break
        return runs

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        """Every logged point of one metric, all pages."""
        points: list[Metric] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": 25000}
            if token:
                params["page_token"] = token
            page = self.rest.call("GET", f"{API}/metrics/get-history", params)
            points.extend(Metric.from_json(m) for m in page.get("metrics") or [])
            token = page.get("next_page_token")
            if not token:
                return points
