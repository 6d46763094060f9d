"""Screenshots of the citizen page in every state, for docs/portal.md.

    .venv/bin/python -m tests.support.portal_screenshots docs/img

Starts a real portal and counter in a temporary folder (as the tests do), puts one dossier in
each state (`tests.support.portal_states`) and saves what a phone (360 px wide) shows, full page, as
`portal-<state>.png`, plus the printed record of a returned dossier (`portal-print.png`).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.support.browser import ARGS, CHROMIUM, wait_until
from tests.support.portal import lookup_counter
from tests.support.portal_states import make_states
from tests.support.sync import AGENCY


def main(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, ThreadedPortal(Path(tmp) / "p.db") as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        counter = lookup_counter(Path(tmp), 3, portal, code)
        try:
            assert sync_once(counter.store, counter.config).ok
            states = make_states(counter, portal)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page(viewport={"width": 360, "height": 740})
                for name, made in states.items():
                    page.goto(made.url)
                    page.screenshot(path=str(out / f"portal-{name}.png"), full_page=True)
                    print(out / f"portal-{name}.png")
                page.goto(states["returned"].url)
                page.emulate_media(media="print")
                page.set_viewport_size({"width": 700, "height": 990})
                wait_until(page, "document.querySelector('.record img').naturalWidth > 0")
                page.screenshot(path=str(out / "portal-print.png"), full_page=True)
                print(out / "portal-print.png")
                browser.close()
        finally:
            counter.desk.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/img"))
