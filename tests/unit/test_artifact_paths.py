"""Artifact path rules: normalisation, escapes refused, and the root each path belongs to."""

from __future__ import annotations

import pytest

from trackway_backend.errors import InvalidParameter
from trackway_backend.logic.artifact_paths import MAX_KEY_BYTES, Owner, file_name, normalise, resolve, root_of

RUN = "0123456789abcdef0123456789abcdef"
MODEL = "m-fedcba9876543210fedcba9876543210"
ROOT = f"1/{RUN}/artifacts"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (f"{ROOT}/model/MLmodel", f"{ROOT}/model/MLmodel"),
        (f"{ROOT}//model/./MLmodel/", f"{ROOT}/model/MLmodel"),
        (f"{ROOT}/a b/100%.txt", f"{ROOT}/a b/100%.txt"),
        (f"{ROOT}/..a/b..", f"{ROOT}/..a/b.."),
        (f"{ROOT}/é/文件.bin", f"{ROOT}/é/文件.bin"),
    ],
)
def test_safe_paths_are_normalised(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        f"{ROOT}/../other/x",
        f"{ROOT}/sub/../../x",
        "..",
        f"/{ROOT}/x",
        "C:/Windows/x",
        f"{ROOT}/a\\b",
        f"{ROOT}/..\\..\\x",
        f"{ROOT}/%2e%2e/x",
        f"{ROOT}/%2E%2E%2F%2E%2E/x",
        f"{ROOT}/%252e%252e/x",
        f"{ROOT}/%5c..%5cx",
        f"{ROOT}/a%00b",
        f"{ROOT}/a\nb",
        f"{ROOT}/a#b",
        "%2f" + ROOT,
        "",
        "/",
        "./.",
    ],
)
def test_unsafe_or_empty_paths_are_invalid_parameter(raw: str) -> None:
    with pytest.raises(InvalidParameter):
        normalise(raw)


def test_keys_longer_than_s3_allows_are_refused() -> None:
    with pytest.raises(InvalidParameter, match="1024 bytes"):
        normalise(f"{ROOT}/" + "x" * MAX_KEY_BYTES)


def test_a_run_path_resolves_to_the_run_root() -> None:
    path = resolve(f"{ROOT}/model/MLmodel")
    assert (path.key, path.root, path.owner, path.owner_id) == (f"{ROOT}/model/MLmodel", ROOT, Owner.RUN, RUN)
    assert not path.is_root and resolve(ROOT).is_root


def test_a_logged_model_path_resolves_to_the_model_root() -> None:
    path = resolve(f"7/models/{MODEL}/artifacts/MLmodel")
    assert (path.root, path.owner, path.owner_id) == (f"7/models/{MODEL}/artifacts", Owner.LOGGED_MODEL, MODEL)


def test_a_custom_experiment_location_still_finds_the_run_root() -> None:
    path = resolve(f"teams/vision/artifacts/{RUN}/artifacts/x.txt")
    assert (path.root, path.owner_id) == (f"teams/vision/artifacts/{RUN}/artifacts", RUN)


@pytest.mark.parametrize(
    "raw",
    ["1", "1/abc/artifacts/x", f"1/{RUN}", f"1/{RUN}/other/x", f"1/models/{RUN}/artifacts-x", "1/models/m-x/artifacts"],
)
def test_paths_outside_every_root_are_refused(raw: str) -> None:
    with pytest.raises(InvalidParameter, match="artifact root"):
        resolve(raw)


def test_children_stay_under_the_same_root() -> None:
    parent = resolve(f"{ROOT}/dir")
    assert parent.child("f.txt").key == f"{ROOT}/dir/f.txt"
    with pytest.raises(InvalidParameter):
        parent.child("%2e%2e")


def test_root_of_reads_only_mlflow_artifacts_uris() -> None:
    assert root_of(f"mlflow-artifacts:/{ROOT}") == ROOT
    assert root_of(f"mlflow-artifacts://host:5000/{ROOT}/") == ROOT
    assert root_of(f"s3://bucket/{ROOT}") is None


@pytest.mark.parametrize(
    ("sent", "name"),
    [("model.pkl", "model.pkl"), ("/tmp/x/model.pkl", "model.pkl"), ("C:\\Users\\me\\model.pkl", "model.pkl")],
)
def test_upload_file_names_are_the_base_name_of_what_clients_send(sent: str, name: str) -> None:
    assert file_name(sent) == name


@pytest.mark.parametrize("sent", ["", "/tmp/dir/", "..", "."])
def test_uploads_need_a_real_file_name(sent: str) -> None:
    with pytest.raises(InvalidParameter):
        file_name(sent)
