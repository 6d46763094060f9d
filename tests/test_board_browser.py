"""The waiting-hall board in a real headless Chromium (Debian's, through Playwright).

Under CI a missing browser fails the test: the project's CI script installs `chromium`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from counter.queue import QueueSettings
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from tests.conftest import FrozenClock

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def _need_browser() -> None:
    missing = []
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        missing.append(f"chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    if missing:
        message = "board browser test needs " + ", ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[RunningHub]:
    h = Hub(tmp_path / "hub.sqlite3", QueueSettings(), centre="Trung tâm PVHCC", clock=clock)
    running = serve_in_thread(create_app(h))
    yield running
    running.stop()


def test_board_page_updates_after_a_call(hub: RunningHub) -> None:
    _need_browser()
    from playwright.sync_api import sync_playwright

    for area in ("A", "A", "C"):
        assert httpx.post(hub.url + "/api/tickets", json={"area": area}).status_code == 200
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            page = browser.new_page()
            page.goto(hub.url + "/board")
            assert "Bảng gọi số" in page.title()
            assert page.locator("#latest-msg").inner_text().startswith("Mời công dân lấy số")
            waiting = page.locator("#waiting").inner_text()
            assert "Hộ tịch" in waiting
            started = time.monotonic()
            r = httpx.post(hub.url + "/api/counters/3/call-next", json={})
            assert r.json()["ticket"]["number"] == "A001"
            page.wait_for_function(
                "document.getElementById('latest-num').textContent === 'A001'", timeout=2000
            )
            assert time.monotonic() - started < 2
            assert (
                page.locator("#latest-msg").inner_text()
                == "Mời công dân có số thứ tự A001 đến quầy số 3"
            )
            assert page.locator('#current [data-counter="3"]').inner_text() == "A001"
            # a second counter, and a recall, show up too
            httpx.post(hub.url + "/api/counters/5/call-next", json={"areas": ["C"]})
            page.wait_for_function(
                "document.getElementById('latest-num').textContent === 'C001'", timeout=2000
            )
            assert page.locator('#current [data-counter="5"]').inner_text() == "C001"
            assert "A001" in page.locator("#calls").inner_text()
        finally:
            browser.close()
