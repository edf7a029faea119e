"""The local stack serves MLflow's UI at `/` itself, so the "View run at http://127.0.0.1:5000/#/…" links that
the mlflow client prints open the run."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ui.browser import PageProblems
from tests.ui.conftest import SCREENSHOTS
from tests.ui.seed import Seeded
from trackway_backend.local.process import StackProcess

pytestmark = pytest.mark.system


def test_the_run_link_the_mlflow_client_prints_opens_the_run(
    browser_context: Any, local_stack: StackProcess, seeded: Seeded
) -> None:
    run_id = seeded.run_ids["lr-0.01"]
    page = browser_context.new_page()
    problems = PageProblems(local_stack.url)
    page.on("console", problems.on_console)
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_request_failed)
    try:
        page.goto(f"{local_stack.url}/#/experiments/{seeded.experiment_id}/runs/{run_id}")
        page.get_by_text("max_depth").first.wait_for(timeout=60_000)
        body = page.inner_text("body")
        assert "learning_rate" in body and "0.01" in body
        page.goto(f"{local_stack.url}/#/experiments")
        page.get_by_role("row").filter(has_text=seeded.experiment).wait_for(timeout=60_000)
        page.wait_for_timeout(300)
        assert not problems.problems, "the page reported problems:\n" + "\n".join(problems.problems)
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "local_stack_run_link.png"))
        page.close()
