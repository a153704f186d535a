"""The one browser of the end-to-end tests: Debian's Chromium driven by Playwright for Python.

One sync Playwright and one Chromium for the whole session (two sync Playwright instances cannot
run in one thread), shared by the browser-SDK tests (``browser_sdk/``) and the console tests
(``console/``); each test opens its own context. The executable is ``shutil.which("chromium")``,
never a browser Playwright downloads. Missing Chromium or Playwright skips, unless
``GOVERNANCE_REQUIRE_BROWSER=1`` (CI), where it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

# the flags that keep Chromium off the (closed) network and quiet in a sandbox
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def missing(reason: str) -> None:
    """Skip, or fail when CI requires the browser tests to run."""
    if os.environ.get("GOVERNANCE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (GOVERNANCE_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = shutil.which("chromium")
    if executable is None:
        missing("Debian's chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright (the Python package) is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()
