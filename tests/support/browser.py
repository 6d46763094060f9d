"""Real Chromium for the page tests: where it is, how it starts, and the CI rule for missing it.

Playwright drives Debian's /usr/bin/chromium. On a developer's machine a missing browser skips
the test; under CI (CI=true) it fails, so a missing dependency is never hidden.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def need_browser(what: str = "the test") -> None:
    """Skip (fail under CI=true) unless chromium and the playwright package are both here."""
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        message = f"{what} needs " + ", ".join(missing)
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def wait_until(page: Any, expression: str, timeout: float = 15.0) -> None:
    """Poll `expression` with `page.evaluate` (DevTools' evaluate, which the page's CSP does
    not govern; `wait_for_function` polls with eval, which `default-src 'none'` forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(50)
