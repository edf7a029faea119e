"""The one HTTP client every workload uses, against trackway and mlflow server alike: raw MLflow REST calls.

No mlflow client library here: both servers see byte-for-byte the same requests, so the timings compare
servers, not clients.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import requests

_API = "/api/2.0/mlflow"


class RestError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:300]}")
        self.status = status
        self.body = body


class MlflowRest:
    """One requests.Session (keep-alive, its own connection pool) per benchmark client thread."""

    def __init__(self, base_url: str, timeout: float = 120, new_connections: bool = False) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if new_connections:  # a diagnostic: one TCP connection per request, no keep-alive
            self.session.headers["Connection"] = "close"

    def close(self) -> None:
        self.session.close()

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        response = self.session.request(
            method,
            f"{self.base_url}{path}",
            json=body,
            params=params or None,
            timeout=self.timeout,
        )
        if response.status_code >= 400:
            raise RestError(method, path, response.status_code, response.text)
        return response.json() if response.content else {}

    def call_raw(self, method: str, path: str, data: IO[bytes]) -> None:
        """A streamed body (an artifact), for mlflow server's proxied artifact routes."""
        response = self.session.request(method, f"{self.base_url}{path}", data=data, timeout=self.timeout)
        if response.status_code >= 400:
            raise RestError(method, path, response.status_code, response.text)

    def download(self, method: str, path: str, target: Path, chunk_size: int) -> int:
        """Stream a response body to `target`; returns the bytes written."""
        written = 0
        with self.session.request(method, f"{self.base_url}{path}", stream=True, timeout=self.timeout) as response:
            if response.status_code >= 400:
                raise RestError(method, path, response.status_code, response.text)
            with target.open("wb") as out:
                for chunk in response.iter_content(chunk_size):
                    written += out.write(chunk)
        return written

    # experiments
    def create_experiment(self, name: str) -> str:
        return str(self.call("POST", f"{_API}/experiments/create", {"name": name})["experiment_id"])

    def experiment_id(self, name: str) -> str | None:
        try:
            found = self.call("GET", f"{_API}/experiments/get-by-name", experiment_name=name)
        except RestError as error:
            if error.status == 404:
                return None
            raise
        return str(found["experiment"]["experiment_id"])

    def search_experiments(self, max_results: int, page_token: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"max_results": max_results}
        if page_token:
            body["page_token"] = page_token
        return self.call("POST", f"{_API}/experiments/search", body)

    # runs
    def create_run(self, experiment_id: str, start_time: int, tags: dict[str, str] | None = None) -> str:
        body = {
            "experiment_id": experiment_id,
            "start_time": start_time,
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        return str(self.call("POST", f"{_API}/runs/create", body)["run"]["info"]["run_id"])

    def log_batch(
        self,
        run_id: str,
        metrics: list[dict[str, Any]] | None = None,
        params: dict[str, str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> None:
        body = {
            "run_id": run_id,
            "metrics": metrics or [],
            "params": [{"key": k, "value": v} for k, v in (params or {}).items()],
            "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
        }
        self.call("POST", f"{_API}/runs/log-batch", body)

    def log_metric(self, run_id: str, key: str, value: float, timestamp: int, step: int) -> None:
        body = {"run_id": run_id, "key": key, "value": value, "timestamp": timestamp, "step": step}
        self.call("POST", f"{_API}/runs/log-metric", body)

    def get_run(self, run_id: str) -> dict[str, Any]:
        return self.call("GET", f"{_API}/runs/get", run_id=run_id)["run"]

    def metric_history(self, run_id: str, key: str, page_size: int = 25_000) -> int:
        """Every point of one metric, following page tokens; returns the number of points."""
        points, token = 0, None
        for _ in range(10_000):  # bounded: 10,000 pages
            params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": page_size}
            if token:
                params["page_token"] = token
            page = self.call("GET", f"{_API}/metrics/get-history", **params)
            points += len(page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                break
        return points

    def search_runs(
        self,
        experiment_ids: list[str],
        max_results: int,
        filter_string: str = "",
        order_by: list[str] | None = None,
        page_token: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"experiment_ids": experiment_ids, "max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = order_by
        if page_token:
            body["page_token"] = page_token
        return self.call("POST", f"{_API}/runs/search", body)

    # registry
    def create_registered_model(self, name: str) -> None:
        self.call("POST", f"{_API}/registered-models/create", {"name": name})

    def create_model_version(self, name: str, source: str, run_id: str) -> str:
        body = {"name": name, "source": source, "run_id": run_id}
        return str(self.call("POST", f"{_API}/model-versions/create", body)["model_version"]["version"])

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.call("POST", f"{_API}/registered-models/alias", {"name": name, "alias": alias, "version": version})

    def download_uri_by_alias(self, name: str, alias: str) -> str:
        """What `mlflow.pyfunc.load_model("models:/name@alias")` asks the server before it downloads."""
        version = self.call("GET", f"{_API}/registered-models/alias", name=name, alias=alias)["model_version"]
        found = self.call("GET", f"{_API}/model-versions/get-download-uri", name=name, version=version["version"])
        return str(found["artifact_uri"])
