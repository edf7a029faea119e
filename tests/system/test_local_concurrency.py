"""Many requests at once through the local gateway: every caller gets its own answer, and nothing is mixed.

The local stack hands each request to a worker process that handles one event at a time. These tests send
overlapping requests from threads and processes, with the real mlflow client, and check byte-exact,
exactly-once and who-got-what: the failures a gateway that shares state between requests produces.
"""

from __future__ import annotations

import multiprocessing
import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import mlflow
import pytest
from mlflow import MlflowClient

from trackway_backend.local.process import StackProcess


@pytest.fixture
def client(local_stack: StackProcess) -> MlflowClient:
    mlflow.set_tracking_uri(local_stack.url)
    return MlflowClient(local_stack.url, local_stack.url)


def new_experiment(client: MlflowClient, prefix: str) -> str:
    return client.create_experiment(f"{prefix}-{uuid.uuid4().hex[:8]}")


def test_parallel_artifact_uploads_to_one_run_are_stored_byte_exact(client: MlflowClient, tmp_path: Path) -> None:
    run_id = client.create_run(new_experiment(client, "uploads")).info.run_id
    files: dict[str, bytes] = {}
    for index in range(12):
        files[f"file-{index:02d}.bin"] = os.urandom(1000 + index)  # sizes differ, so a mix-up shows
        (tmp_path / f"file-{index:02d}.bin").write_bytes(files[f"file-{index:02d}.bin"])

    with ThreadPoolExecutor(12) as pool:
        list(pool.map(lambda name: MlflowClient(client.tracking_uri).log_artifact(run_id, str(tmp_path / name)), files))

    downloaded = Path(client.download_artifacts(run_id, "", str(tmp_path / "dl")))
    assert sorted(path.name for path in downloaded.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (downloaded / name).read_bytes() == data, name


def _create_runs(url: str, experiment_id: str, client: int, count: int) -> list[dict[str, Any]]:
    """In a child process: create runs and report what was asked and what came back."""
    own = MlflowClient(url)
    answers = []
    for index in range(count):
        name = f"p{client}-r{index}"
        run = own.create_run(
            experiment_id,
            start_time=1_700_000_000_000 + client * 1000 + index,
            run_name=name,
            tags={"client": str(client), "index": str(index)},
        )
        answers.append(
            {
                "asked": name,
                "got": run.info.run_name,
                "start_time": run.info.start_time,
                "wanted_start": 1_700_000_000_000 + client * 1000 + index,
                "tags": {key: run.data.tags.get(key) for key in ("client", "index")},
                "wanted_tags": {"client": str(client), "index": str(index)},
                "run_id": run.info.run_id,
            }
        )
    return answers


def test_parallel_creates_from_processes_each_get_back_the_run_they_asked_for(client: MlflowClient) -> None:
    experiment_id = new_experiment(client, "creates")
    clients, per_client = 8, 25
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        results = pool.starmap(
            _create_runs, [(client.tracking_uri, experiment_id, index, per_client) for index in range(clients)]
        )
    answers = [answer for result in results for answer in result]
    assert len(answers) == clients * per_client
    wrong = [
        answer
        for answer in answers
        if (answer["got"], answer["start_time"], answer["tags"])
        != (answer["asked"], answer["wanted_start"], answer["wanted_tags"])
    ]
    assert wrong == []
    stored = {run.info.run_id: run.info.run_name for run in client.search_runs([experiment_id], max_results=1000)}
    assert stored == {a["run_id"]: a["asked"] for a in answers}


def test_parallel_paged_searches_each_see_every_run_exactly_once(client: MlflowClient) -> None:
    experiment_id = new_experiment(client, "paging")
    with ThreadPoolExecutor(8) as pool:
        created = set(pool.map(lambda i: client.create_run(experiment_id, run_name=f"r{i}").info.run_id, range(120)))

    def page_through(page_size: int) -> list[str]:
        own, seen, token = MlflowClient(client.tracking_uri), [], None
        for _ in range(200):
            page = own.search_runs(
                [experiment_id], max_results=page_size, page_token=token, order_by=["attributes.run_name ASC"]
            )
            seen += [run.info.run_id for run in page]
            token = page.token
            if not token:
                break
        return seen

    with ThreadPoolExecutor(6) as pool:
        passes = list(pool.map(page_through, [7, 11, 13, 17, 50, 120]))
    for seen in passes:
        assert len(seen) == len(created)
        assert set(seen) == created


def test_parallel_logging_into_different_runs_has_no_cross_talk(client: MlflowClient) -> None:
    experiment_id = new_experiment(client, "crosstalk")
    runs = [client.create_run(experiment_id).info.run_id for _ in range(8)]

    def log(index: int) -> None:
        own = MlflowClient(client.tracking_uri)
        for step in range(10):
            own.log_batch(
                runs[index],
                metrics=[mlflow.entities.Metric("owner", float(index), 1_700_000_000_000 + step, step)],
                params=[mlflow.entities.Param(f"p{step}", f"run-{index}")],
                tags=[mlflow.entities.RunTag("owner", str(index))],
            )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(log, range(8)))
    for index, run_id in enumerate(runs):
        history = client.get_metric_history(run_id, "owner")
        assert sorted(point.step for point in history) == list(range(10))
        assert {point.value for point in history} == {float(index)}
        run = client.get_run(run_id)
        assert run.data.params == {f"p{step}": f"run-{index}" for step in range(10)}
        assert run.data.tags["owner"] == str(index)


def test_registry_and_tracking_calls_mixed_at_once_stay_consistent(client: MlflowClient) -> None:
    experiment_id = new_experiment(client, "mixed")
    name = f"mixed-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    runs = [client.create_run(experiment_id).info for _ in range(12)]

    def work(index: int) -> tuple[str, str]:
        own = MlflowClient(client.tracking_uri, client.tracking_uri)
        info = runs[index]
        own.log_metric(info.run_id, "score", float(index), step=0)
        version = own.create_model_version(name, f"{info.artifact_uri}/model", info.run_id)
        own.set_model_version_tag(name, version.version, "run", info.run_id)
        own.set_tag(info.run_id, "version", str(version.version))
        return str(version.version), info.run_id

    with ThreadPoolExecutor(12) as pool:
        made = list(pool.map(work, range(12)))
    assert sorted(int(version) for version, _ in made) == list(range(1, 13))  # gap-free and unique
    for version, run_id in made:
        stored = client.get_model_version(name, version)
        assert stored.run_id == run_id
        assert stored.tags["run"] == run_id
        assert client.get_run(run_id).data.tags["version"] == version
