"""Headless Chromium for the UI tests: Debian's `chromium`, driven by Playwright for Python (its bundled
driver only; no browser download). `watch` records what a page must never show: console errors, server
errors and API 404s, and GraphQL errors."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
_API_MARKERS = ("/ajax-api/", "/graphql", "get-artifact")


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package 'playwright' is not installed (it is in the dev dependency group)"
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return f"{CHROMIUM} is missing (Debian package 'chromium'; `make install` adds it when run as root)"
    return None


@dataclass
class PageProblems:
    """What went wrong on one page of our own origin."""

    origin: str
    problems: list[str] = field(default_factory=list)

    def _ours(self, url: str) -> bool:
        return url.startswith(self.origin)

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        where = str((message.location or {}).get("url", ""))
        if where and not self._ours(where):  # a resource of another site (the docs' videos), not ours
            return
        self.problems.append(f"console error: {message.text[:300]}")

    def on_response(self, response: Any) -> None:
        url = response.url
        if not self._ours(url):
            return
        path = urlsplit(url).path
        status = response.status
        if status >= 500 or (status == 404 and any(marker in path for marker in _API_MARKERS)):
            self.problems.append(f"{status} {response.request.method} {url[len(self.origin) :][:200]}")
        elif path.endswith("/graphql") and status == 200:
            self._check_graphql(response)

    def _check_graphql(self, response: Any) -> None:
        try:
            body = json.loads(response.body())
        except Exception:  # the page navigated away before the body arrived
            return
        if body.get("errors"):
            self.problems.append(f"GraphQL errors: {body['errors']}")
        for name, value in (body.get("data") or {}).items():
            if isinstance(value, dict) and value.get("apiError"):
                self.problems.append(f"GraphQL {name} apiError: {value['apiError']}")

    def on_request_failed(self, request: Any) -> None:
        failure = request.failure or ""
        if self._ours(request.url) and "ERR_ABORTED" not in failure:
            self.problems.append(f"request failed: {request.method} {request.url} {failure}")
