"""The receipt QR end to end in a real browser: Playwright driving Debian's chromium.

A counter receives a dossier, its receipt is rendered as the printer would get it (preview
printer), the raster is decoded and the QR read back with zxing-cpp; chromium opens that URL
on a real portal (the counter's `[agency] lookup_website` is the portal's address) and shows
the status; after a sync it shows the update; a forged token gets the "not found" page; once
the result is returned the rating form is submitted, stored, and a second one refused.

Under CI (CI=true) a missing chromium or playwright fails the test instead of skipping it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from printing.decode import decode_raster
from printing.spool_worker import drain_once
from tests.support.browser import ARGS, CHROMIUM, need_browser
from tests.support.builders import draft_for
from tests.support.sync import AGENCY


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[ThreadedPortal]:
    with ThreadedPortal(tmp_path / "portal" / "portal.db") as p:
        yield p


def test_scan_the_printed_receipt_then_follow_and_rate_in_chromium(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    need_browser()
    from playwright.sync_api import sync_playwright

    from tests.support.portal import CRITERIA, lookup_counter

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    counter = lookup_counter(tmp_path, 3, portal, code)
    assert sync_once(counter.store, counter.config).ok  # enrolled, then "offline"
    desk = counter.desk
    dossier = desk.receive(draft_for(desk, "1.004194"))

    # The receipt as the printer gets it; the QR read back from its raster.
    assert [r.ok for r in drain_once(desk.store, desk.config, desk.now)] == [True]
    job = desk.print_jobs(dossier.uuid)[0]
    data = (tmp_path / "counter03" / "receipts" / f"job-{job.id:06d}.bin").read_bytes()
    texts = {b.text for b in zxingcpp.read_barcodes(decode_raster(data, 576))}
    url = next(t for t in texts if "TRA-CUU" in t)
    assert url.lower().startswith(portal.url.lower() + "/tra-cuu/")

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
            page.goto(url)
            status = page.locator("#status")
            assert "Hồ sơ đã được tiếp nhận tại Bộ phận Một cửa" in status.inner_text()
            assert dossier.code in page.locator("#code").inner_text()
            page.screenshot(path=str(tmp_path / "pending.png"))

            assert sync_once(counter.store, counter.config).ok
            page.reload()
            assert "Hồ sơ đã được tiếp nhận" in status.inner_text()
            body = page.locator("body").inner_text()
            assert "Nguyễn V. Đ." in body and "001090012345" not in body
            assert "0912" not in body

            admin.set_dossier_status(portal.storage, dossier.uuid, "processing", by="bo")
            page.reload()
            assert "Hồ sơ đang được giải quyết" in status.inner_text()

            head = url.rsplit("/", 1)[0]
            page.goto(f"{head}/{'B' * 24}")
            assert "Không tìm thấy hồ sơ" in page.locator("#status").inner_text()
            assert "Nguyễn" not in page.locator("body").inner_text()

            admin.set_dossier_status(portal.storage, dossier.uuid, "result_ready", by="bo")
            page.goto(url)
            assert "mời ông/bà đến nhận tại quầy số 3" in status.inner_text()
            admin.set_dossier_status(
                portal.storage, dossier.uuid, "returned", by="bo", to="chủ hồ sơ"
            )
            page.reload()
            form = page.locator("#rating form")
            for key, value in CRITERIA.items():
                form.locator(f'input[name="{key}"][value="{value}"]').check()
            form.locator('input[name="overall"][value="satisfied"]').check()
            form.locator('textarea[name="comment"]').fill("Nhanh, chu đáo")
            page.screenshot(path=str(tmp_path / "rating.png"), full_page=True)
            form_token = form.locator('input[name="form_token"]').get_attribute("value")
            form.locator('button[type="submit"]').click()
            page.wait_for_selector("#rated")
            assert "Cảm ơn ông/bà đã đánh giá" in page.locator("#rated").inner_text()
            rating = portal.storage.rating_of(dossier.uuid)
            assert rating is not None and rating.overall == "satisfied"
            assert rating.comment == "Nhanh, chu đáo"

            # A second rating (the same form sent again, e.g. from another tab) is refused.
            replay = page.request.post(
                url,
                form={"form_token": str(form_token), **CRITERIA, "overall": "dissatisfied"},
                max_redirects=0,
            )
            assert replay.status == 409 and "đã được đánh giá" in replay.text()
            assert portal.storage.query("SELECT count(*) FROM ratings") == [(1,)]
        finally:
            browser.close()
    report = sync_once(counter.store, counter.config)
    assert report.ok, report.text()
    assert counter.store.conn.execute("SELECT score, comment FROM ratings").fetchall() == [
        (3, "Nhanh, chu đáo")
    ]
    desk.close()
