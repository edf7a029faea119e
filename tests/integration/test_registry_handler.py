"""The registry Lambda in process on moto, fed real API Gateway HTTP API events (events/apigw)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.event_capture import ENVIRONMENT, Call, outbox_events, registry_backend, run_artifacts


@pytest.fixture
def backend(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Call, Call]]:
    for key, value in ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    with registry_backend() as calls:
        yield calls


@pytest.fixture
def call(backend: tuple[Call, Call]) -> Call:
    return backend[0]


@pytest.fixture
def track(backend: tuple[Call, Call]) -> Call:
    return backend[1]


@pytest.fixture
def artifacts(track: Call) -> str:
    return run_artifacts(track)


def error(response: tuple[int, dict[str, str]]) -> tuple[int, str]:
    return response[0], response[1]["error_code"]


def model_with_versions(call: Call, artifacts: str, name: str = "iris", count: int = 2) -> None:
    assert call("POST", "registered-models/create", {"name": name})[0] == 200
    for index in range(count):
        status, body = call("POST", "model-versions/create", {"name": name, "source": f"{artifacts}/{index}"})
        assert (status, body["model_version"]["version"]) == (200, str(index + 1))


def test_create_get_and_duplicate(call: Call) -> None:
    status, body = call(
        "POST",
        "registered-models/create",
        {"name": "iris", "tags": [{"key": "team", "value": "cv"}], "description": "flowers"},
    )
    assert status == 200
    model = body["registered_model"]
    assert (model["name"], model["description"], model["tags"]) == ("iris", "flowers", [{"key": "team", "value": "cv"}])
    assert model["user_id"] == "arn:aws:iam::123456789012:user/ana"
    assert error(call("POST", "registered-models/create", {"name": "iris"})) == (400, "RESOURCE_ALREADY_EXISTS")
    status, body = call("GET", "registered-models/get", name="iris")
    assert status == 200 and body["registered_model"]["latest_versions"] == []


@pytest.mark.parametrize("name", ["", "a/b", "a:b", "../x"])
def test_invalid_names_are_invalid_parameter_value(call: Call, name: str) -> None:
    assert error(call("POST", "registered-models/create", {"name": name})) == (400, "INVALID_PARAMETER_VALUE")


def test_missing_things_are_404_except_a_missing_alias(call: Call, artifacts: str) -> None:
    assert error(call("GET", "registered-models/get", name="nope")) == (404, "RESOURCE_DOES_NOT_EXIST")
    model_with_versions(call, artifacts, count=1)
    assert error(call("GET", "model-versions/get", name="iris", version="9")) == (404, "RESOURCE_DOES_NOT_EXIST")
    assert error(call("GET", "registered-models/alias", name="iris", alias="champion")) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert error(call("GET", "model-versions/get", name="iris", version="one")) == (400, "INVALID_PARAMETER_VALUE")
    assert error(call("POST", "model-versions/create", {"name": "nope", "source": artifacts})) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )


def test_aliases_round_trip_with_latest(call: Call, artifacts: str) -> None:
    model_with_versions(call, artifacts)
    assert call("POST", "registered-models/alias", {"name": "iris", "alias": "champion", "version": "1"}) == (200, {})
    status, body = call("GET", "registered-models/alias", name="iris", alias="champion")
    assert (status, body["model_version"]["version"], body["model_version"]["aliases"]) == (200, "1", ["champion"])
    assert call("GET", "registered-models/alias", name="iris", alias="latest")[1]["model_version"]["version"] == "2"
    assert error(call("POST", "registered-models/alias", {"name": "iris", "alias": "latest", "version": "1"})) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    assert call("DELETE", "registered-models/alias", {"name": "iris", "alias": "champion"}) == (200, {})
    assert call("GET", "registered-models/get", name="iris")[1]["registered_model"]["aliases"] == []


def test_stages_and_latest_versions_by_post_and_get(call: Call, artifacts: str) -> None:
    model_with_versions(call, artifacts, count=3)
    for version in ("1", "2"):
        call(
            "POST",
            "model-versions/transition-stage",
            {"name": "iris", "version": version, "stage": "Staging", "archive_existing_versions": False},
        )
    status, body = call(
        "POST",
        "model-versions/transition-stage",
        {"name": "iris", "version": "3", "stage": "staging", "archive_existing_versions": True},
    )
    assert (status, body["model_version"]["current_stage"]) == (200, "Staging")
    status, body = call("POST", "registered-models/get-latest-versions", {"name": "iris", "stages": ["Staging"]})
    assert [v["version"] for v in body["model_versions"]] == ["3"]
    status, body = call("GET", "registered-models/get-latest-versions", name="iris", stages=["Archived", "Staging"])
    assert [v["version"] for v in body["model_versions"]] == ["2", "3"]
    assert error(call("POST", "registered-models/get-latest-versions", {"name": "iris", "stages": ["Prod"]})) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_update_rename_tags_and_delete(call: Call, artifacts: str) -> None:
    model_with_versions(call, artifacts, count=1)
    status, body = call("PATCH", "registered-models/update", {"name": "iris", "description": "new"})
    assert (status, body["registered_model"]["description"]) == (200, "new")
    status, body = call("PATCH", "model-versions/update", {"name": "iris", "version": "1", "description": "v1"})
    assert (status, body["model_version"]["description"]) == (200, "v1")
    assert call("POST", "registered-models/set-tag", {"name": "iris", "key": "k", "value": "v"})[0] == 200
    assert call("POST", "model-versions/set-tag", {"name": "iris", "version": "1", "key": "k", "value": "v"})[0] == 200
    status, body = call("POST", "registered-models/rename", {"name": "iris", "new_name": "iris2"})
    assert (status, body["registered_model"]["name"]) == (200, "iris2")
    version = call("GET", "model-versions/get", name="iris2", version="1")[1]["model_version"]
    assert (version["name"], version["tags"], version["description"]) == ("iris2", [{"key": "k", "value": "v"}], "v1")
    assert call("DELETE", "model-versions/delete-tag", {"name": "iris2", "version": "1", "key": "k"})[0] == 200
    assert call("DELETE", "registered-models/delete-tag", {"name": "iris2", "key": "k"})[0] == 200
    assert call("DELETE", "model-versions/delete", {"name": "iris2", "version": "1"}) == (200, {})
    assert call("DELETE", "registered-models/delete", {"name": "iris2"}) == (200, {})
    assert error(call("GET", "registered-models/get", name="iris2")) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_search_with_the_clients_prompt_clause_and_pages(call: Call) -> None:
    for name in ("a", "b", "c"):
        call("POST", "registered-models/create", {"name": name})
    call(
        "POST", "registered-models/create", {"name": "p", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}
    )
    query = {"filter": "tags.`mlflow.prompt.is_prompt` != 'true'", "max_results": "2"}
    _, first = call("GET", "registered-models/search", **query)
    assert [m["name"] for m in first["registered_models"]] == ["a", "b"]
    _, second = call("GET", "registered-models/search", **query, page_token=first["next_page_token"])
    assert [m["name"] for m in second["registered_models"]] == ["c"] and "next_page_token" not in second
    assert error(call("GET", "registered-models/search", filter="name = 'a' OR name = 'b'")) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_search_versions(call: Call, artifacts: str) -> None:
    model_with_versions(call, artifacts, "iris", 2)
    model_with_versions(call, artifacts, "wine", 1)
    _, body = call("GET", "model-versions/search", filter="name = 'iris'", order_by=["version_number ASC"])
    assert [(v["name"], v["version"]) for v in body["model_versions"]] == [("iris", "1"), ("iris", "2")]
    _, body = call("GET", "model-versions/search", filter="version_number = 1")
    assert sorted(v["name"] for v in body["model_versions"]) == ["iris", "wine"]


def test_version_from_a_logged_model(backend: tuple[Call, Call]) -> None:
    call, track = backend
    _, experiment = track("POST", "experiments/create", {"name": "e"})
    _, run = track("POST", "runs/create", {"experiment_id": experiment["experiment_id"]})
    run_id = run["run"]["info"]["run_id"]
    _, logged = track("POST", "logged-models", {"experiment_id": experiment["experiment_id"], "source_run_id": run_id})
    info = logged["model"]["info"]
    call("POST", "registered-models/create", {"name": "iris"})
    status, body = call(
        "POST",
        "model-versions/create",
        {"name": "iris", "source": f"models:/{info['model_id']}", "model_id": info["model_id"]},
    )
    assert status == 200
    assert (body["model_version"]["run_id"], body["model_version"]["model_id"]) == (run_id, info["model_id"])
    status, body = call("GET", "model-versions/get-download-uri", name="iris", version="1")
    assert body == {"artifact_uri": info["artifact_uri"]}
    assert error(call("POST", "model-versions/create", {"name": "iris", "source": "models:/m-nope"})) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )


def test_a_failed_change_writes_no_event(call: Call, artifacts: str) -> None:
    model_with_versions(call, artifacts, count=1)
    before = len(outbox_events())
    assert call("POST", "registered-models/alias", {"name": "iris", "alias": "x", "version": "5"})[0] == 404
    assert (
        call(
            "POST",
            "model-versions/transition-stage",
            {"name": "iris", "version": "1", "stage": "None", "archive_existing_versions": True},
        )[0]
        == 400
    )
    assert len(outbox_events()) == before


def test_unknown_method_on_a_registry_path_is_endpoint_not_found(call: Call) -> None:
    assert error(call("PUT", "registered-models/create", {"name": "x"})) == (404, "ENDPOINT_NOT_FOUND")


def tags_of(call: Call, version: str | None = None) -> dict[str, str]:
    if version is None:
        found = call("GET", "registered-models/get", name="iris")[1]["registered_model"]
    else:
        found = call("GET", "model-versions/get", name="iris", version=version)[1]["model_version"]
    return {tag["key"]: tag["value"] for tag in found.get("tags", [])}


@pytest.mark.parametrize(
    "key", ["approval_status", "approval_report", "trackway.approval.note", "trackway.deployment.x"]
)
def test_reserved_tags_are_permission_denied_on_every_write_path(call: Call, artifacts: str, key: str) -> None:
    forged = [{"key": key, "value": "approved"}]
    assert error(call("POST", "registered-models/create", {"name": "iris", "tags": forged})) == (
        403,
        "PERMISSION_DENIED",
    )
    model_with_versions(call, artifacts, count=1)
    before = len(outbox_events())
    version = {"name": "iris", "source": f"{artifacts}/m", "tags": forged}
    assert error(call("POST", "model-versions/create", version)) == (403, "PERMISSION_DENIED")
    for path, body in [
        ("model-versions/set-tag", {"name": "iris", "version": "1", "key": key, "value": "approved"}),
        ("registered-models/set-tag", {"name": "iris", "key": key, "value": "approved"}),
    ]:
        assert error(call("POST", path, body)) == (403, "PERMISSION_DENIED")
    for path, body in [
        ("model-versions/delete-tag", {"name": "iris", "version": "1", "key": key}),
        ("registered-models/delete-tag", {"name": "iris", "key": key}),
    ]:
        assert error(call("DELETE", path, body)) == (403, "PERMISSION_DENIED")
    assert key not in tags_of(call) and key not in tags_of(call, "1")
    assert call("GET", "model-versions/get", name="iris", version="2")[0] == 404
    assert len(outbox_events()) == before
    ordinary = {"name": "iris", "version": "1", "key": "approval_status_note", "value": "fine"}
    assert call("POST", "model-versions/set-tag", ordinary)[0] == 200


def test_a_source_must_lie_inside_its_run_or_logged_model(backend: tuple[Call, Call]) -> None:
    call, track = backend
    experiments = [track("POST", "experiments/create", {"name": f"e{n}"})[1]["experiment_id"] for n in (1, 2)]
    run_a, run_b = (track("POST", "runs/create", {"experiment_id": e})[1]["run"]["info"] for e in experiments)
    logged = track("POST", "logged-models", {"experiment_id": experiments[0], "source_run_id": run_a["run_id"]})[1][
        "model"
    ]["info"]
    call("POST", "registered-models/create", {"name": "iris"})

    def create(source: str, **more: str) -> tuple[int, dict[str, Any]]:
        return call("POST", "model-versions/create", {"name": "iris", "source": source, **more})

    refused = [
        create(f"{run_b['artifact_uri']}/model", run_id=run_a["run_id"]),  # another run's (experiment's) files
        create("s3://any-bucket/any/prefix"),
        create("s3://any-bucket/any/prefix", run_id=run_a["run_id"]),
        create(f"{run_a['artifact_uri']}/../../{run_b['run_id']}/artifacts/model", run_id=run_a["run_id"]),
        create(f"{run_a['artifact_uri']}/%2e%2e/x", run_id=run_a["run_id"]),
        create(f"runs:/{run_a['run_id']}/model", run_id=run_b["run_id"]),
        create(f"models:/{logged['model_id']}", run_id=run_b["run_id"]),  # not the logged model's run
        create(f"{run_a['artifact_uri']}/model", model_id=logged["model_id"]),  # not inside the logged model
        create(f"mlflow-artifacts:/{experiments[0]}/{'f' * 32}/artifacts/model"),  # no such run
        create(f"mlflow-artifacts:/{experiments[0]}/elsewhere/model"),
    ]
    assert [error(response) for response in refused] == [(400, "INVALID_PARAMETER_VALUE")] * len(refused)

    def bound(status_body: tuple[int, dict[str, Any]]) -> tuple[str, str | None, str | None]:
        assert status_body[0] == 200, status_body
        version = status_body[1]["model_version"]
        download = call("GET", "model-versions/get-download-uri", name="iris", version=version["version"])[1]
        return download["artifact_uri"], version.get("run_id") or None, version.get("model_id") or None

    a_model = f"{run_a['artifact_uri']}/model"
    assert bound(create(a_model, run_id=run_a["run_id"])) == (a_model, run_a["run_id"], None)
    assert bound(create(f"{run_b['artifact_uri']}/model")) == (f"{run_b['artifact_uri']}/model", run_b["run_id"], None)
    assert bound(create(f"runs:/{run_a['run_id']}/model", run_id=run_a["run_id"])) == (a_model, run_a["run_id"], None)
    # What mlflow.<flavor>.log_model(registered_model_name=...) and register_model("runs:/…") send in 3.x.
    from_logged = (logged["artifact_uri"], run_a["run_id"], logged["model_id"])
    assert bound(create(f"models:/{logged['model_id']}", model_id=logged["model_id"])) == from_logged
    assert bound(create(f"models:/{logged['model_id']}", run_id=run_a["run_id"], model_id=logged["model_id"])) == (
        from_logged
    )
    assert bound(create("models:/iris/1")) == (a_model, run_a["run_id"], None)
