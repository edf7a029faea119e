"""Fixtures of the browser tests: the local stack (shared with the system tests), `trackway ui` against it
as a subprocess, seeded data, and one Chromium for the module."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.ui.browser import CHROMIUM, CHROMIUM_ARGS, PageProblems, missing_browser
from tests.ui.seed import Seeded, seed
from trackway_backend.local.process import StackProcess, free_port

SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture(scope="session")
def browser_available() -> None:
    reason = missing_browser()
    if reason:
        pytest.skip(f"browser tests need a browser: {reason}")


@pytest.fixture(scope="session")
def ui_url(local_stack: StackProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`trackway ui --tracking-uri <stack> --port <free>`, run as a user runs it."""
    port = free_port()
    log = tmp_path_factory.mktemp("trackway-ui") / "ui.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "trackway", "ui", "--tracking-uri", local_stack.url, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"trackway ui exited early:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"trackway ui did not answer:\n{log.read_text()}")
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="session")
def seeded(local_stack: StackProcess, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    # The stack is shared with the system tests: unique names keep this data apart from theirs.
    return seed(local_stack.url, tmp_path_factory.mktemp("ui-seed"), suffix=uuid.uuid4().hex[:6])


@pytest.fixture(scope="module")
def browser_context(browser_available: None, ui_url: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1920, "height": 1000})
        context.set_default_timeout(30_000)
        # The assistant's welcome panel would take a third of every screenshot: keep it closed.
        context.add_init_script(
            "localStorage.setItem('mlflow.assistant.panelOpen_v1', 'false');"
            "localStorage.setItem('mlflow.assistant.fab.autoOpenedOnFirstLoad_v1', 'true');"
        )
        try:
            yield context
        finally:
            context.close()
            browser.close()


@pytest.fixture(scope="module")
def tab(browser_context: Any, ui_url: str) -> Iterator[tuple[Any, PageProblems]]:
    """One tab for the module: the UI is a single-page app, so tests move by its URL fragment instead of
    loading the whole bundle again."""
    page = browser_context.new_page()
    problems = PageProblems(ui_url)
    page.on("console", problems.on_console)
    page.on("response", problems.on_response)
    page.on("requestfailed", problems.on_request_failed)
    page.goto(f"{ui_url}/#/experiments")
    try:
        yield page, problems
    finally:
        page.close()


@pytest.fixture
def page(tab: tuple[Any, PageProblems], request: pytest.FixtureRequest) -> Iterator[Any]:
    """The tab, for one test: it fails if the page logged a console error or an API call failed meanwhile,
    and its last view is saved to tests/ui/screenshots/<test>.png."""
    page, problems = tab
    problems.problems.clear()
    try:
        yield page
        page.wait_for_timeout(300)  # late calls of the last view still count
        assert not problems.problems, "the page reported problems:\n" + "\n".join(problems.problems)
    finally:
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"))
