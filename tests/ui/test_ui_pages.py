"""The MLflow UI served by `trackway ui` against the local stack, in headless Chromium, on real data.

Each test loads one page, asserts on what a user sees, and (through the `page` fixture) fails on console
errors, server errors, API 404s and GraphQL errors, then keeps a screenshot in tests/ui/screenshots/.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from tests.ui.seed import TEXT_CONTENT, Seeded

pytestmark = pytest.mark.system
SLOW = 60_000  # searches are slow on a loaded shared machine


def open_page(page: Any, ui_url: str, route: str) -> None:
    page.goto(f"{ui_url}/#{route}")


def model_training_mode(page: Any, ui_url: str) -> None:
    """The UI opens in its GenAI mode; MLflow users of classic runs switch to "Model training"."""
    open_page(page, ui_url, "/experiments")
    page.get_by_text("Model training", exact=True).first.click()


def run_cells(page: Any, name: str) -> Any:
    """The run-name links in the runs table (exact: `lr-0.1` is not `lr-0.01`)."""
    return page.get_by_role("gridcell").get_by_role("link", name=name, exact=True)


def test_experiment_list(page: Any, ui_url: str, seeded: Seeded) -> None:
    open_page(page, ui_url, "/experiments")
    row = page.get_by_role("row").filter(has_text=seeded.experiment)
    row.wait_for()
    assert "team" in row.inner_text()  # the experiment tag


def test_runs_table_has_metric_and_param_columns(page: Any, ui_url: str, seeded: Seeded) -> None:
    model_training_mode(page, ui_url)
    open_page(page, ui_url, f"/experiments/{seeded.experiment_id}/runs")
    for name in seeded.run_ids:
        run_cells(page, name).first.wait_for(timeout=SLOW)
    # MLflow 3 shows attribute columns first; metrics and params are picked in "Columns", which lists
    # every key the runs carry.
    page.get_by_role("button", name="Columns").first.click()
    for key in ("loss", "accuracy", "learning_rate", "max_depth"):
        page.get_by_text(key, exact=True).last.click()
    page.keyboard.press("Escape")
    headers = " ".join(page.get_by_role("columnheader").all_inner_texts())
    for key in ("loss", "accuracy", "learning_rate", "max_depth"):
        assert key in headers, f"{key!r} not among the columns: {headers}"
    cells = page.get_by_role("gridcell").all_inner_texts()
    for value in ("0.001", "8", "0.15"):  # lr-0.001: learning_rate, max_depth, latest loss (3 / 20)
        assert value in cells, f"{value!r} not in the table: {cells}"


def test_search_box_filters_runs(page: Any, ui_url: str, seeded: Seeded) -> None:
    model_training_mode(page, ui_url)
    open_page(page, ui_url, f"/experiments/{seeded.experiment_id}/runs")
    run_cells(page, "lr-0.001").first.wait_for(timeout=SLOW)
    search = page.get_by_placeholder(re.compile("metrics.rmse", re.IGNORECASE)).first
    search.fill("params.max_depth = '5'")
    search.press("Enter")
    run_cells(page, "lr-0.001").first.wait_for(state="detached", timeout=SLOW)
    assert run_cells(page, "lr-0.01").count() == 1
    assert run_cells(page, "lr-0.1").count() == 0
    search.fill("")
    search.press("Enter")


def test_run_page_metric_charts(page: Any, ui_url: str, seeded: Seeded) -> None:
    run_id = seeded.run_ids["lr-0.1"]
    open_page(page, ui_url, f"/experiments/{seeded.experiment_id}/runs/{run_id}/model-metrics")
    page.get_by_text("lr-0.1 (loss)").first.wait_for(timeout=SLOW)  # the legend of the loss chart
    assert page.get_by_text("lr-0.1 (accuracy)").count() >= 1
    assert page.locator(".js-plotly-plot, canvas, svg.main-svg").count() >= 2  # drawn charts


def test_run_overview_shows_params_and_tags(page: Any, ui_url: str, seeded: Seeded) -> None:
    run_id = seeded.run_ids["lr-0.01"]
    open_page(page, ui_url, f"/experiments/{seeded.experiment_id}/runs/{run_id}")
    page.get_by_text("max_depth").first.wait_for(timeout=SLOW)
    body = page.inner_text("body")
    assert "learning_rate" in body and "0.01" in body
    assert "owner" in body and "user1" in body
    assert seeded.model in body  # the registered version made from this run


def test_artifact_preview_text_and_image(page: Any, ui_url: str, seeded: Seeded) -> None:
    run_id = seeded.run_ids["lr-0.1"]
    open_page(page, ui_url, f"/experiments/{seeded.experiment_id}/runs/{run_id}/artifacts/notes.txt")
    page.get_by_text(TEXT_CONTENT).first.wait_for(timeout=SLOW)
    page.get_by_text("plots", exact=True).first.click()
    page.get_by_text("curve.png", exact=True).first.click()
    # The preview shows the PNG the run logged (48 x 32), decoded by the browser from our get-artifact.
    page.wait_for_function(
        "() => [...document.images].some(i => i.complete && i.naturalWidth === 48 && i.naturalHeight === 32)",
        timeout=SLOW,
    )


def test_compare_runs(page: Any, ui_url: str, seeded: Seeded) -> None:
    runs = json.dumps([seeded.run_ids["lr-0.1"], seeded.run_ids["lr-0.01"]])
    open_page(page, ui_url, f"/compare-runs?runs={runs}&experiments={json.dumps([seeded.experiment_id])}")
    page.get_by_text("Comparing 2 Runs").first.wait_for(timeout=SLOW)
    body = page.inner_text("body")
    for expected in ("learning_rate", "max_depth", "loss", "accuracy", "lr-0.1", "lr-0.01"):
        assert expected in body, f"{expected!r} missing from the comparison"


def test_model_registry_list(page: Any, ui_url: str, seeded: Seeded) -> None:
    open_page(page, ui_url, "/models")
    row = page.get_by_role("row").filter(has_text=seeded.model)
    row.wait_for(timeout=SLOW)
    if page.get_by_text("Try it now").count():  # MLflow's one-time tour of its registry page
        page.get_by_text("Try it now").first.click()
    text = row.inner_text()
    assert "Version 2" in text
    assert "champion" in text
    assert "domain" in text  # the registered model's tag


def test_model_version_page_alias_and_tags(page: Any, ui_url: str, seeded: Seeded) -> None:
    open_page(page, ui_url, f"/models/{seeded.model}/versions/2")
    page.get_by_text("Version 2").first.wait_for(timeout=SLOW)
    page.get_by_text("champion").first.wait_for()
    tags = page.get_by_role("row").filter(has_text="validation")
    assert "passed" in tags.first.inner_text()
    assert page.get_by_role("row").filter(has_text="origin").first.inner_text().count("lr-0.01") == 1
    page.get_by_text(re.compile(r"Inputs \(1\)")).first.wait_for()  # the schema read from MLmodel


@pytest.mark.parametrize(
    ("route", "empty_state"),
    [
        ("/experiments/{experiment_id}/traces", "Start tracing"),
        ("/prompts", "Create your first prompt"),
    ],
    ids=["traces", "prompts"],
)
def test_missing_features_show_empty_views(
    page: Any, ui_url: str, seeded: Seeded, route: str, empty_state: str
) -> None:
    open_page(page, ui_url, route.format(experiment_id=seeded.experiment_id))
    page.get_by_text(empty_state).first.wait_for(timeout=SLOW)
    alerts = page.locator(".ant-notification-notice, [role='alert']").all_inner_texts()
    assert not [text for text in alerts if text.strip()], f"error shown: {alerts}"
