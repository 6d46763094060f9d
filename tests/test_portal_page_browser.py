"""The citizen page in Chromium, as a citizen opens it: on a phone (360×740, touch, throttled
network and CPU where it matters) and on a desktop.

- every state's page passes axe-core (WCAG 2.0/2.1 A and AA rules) on both profiles;
- nothing scrolls sideways at 320 px, and no visible text is under 16 px on the phone;
- the rating form: a double tap on a slow network records one rating and shows the thanks,
  focused, where the person is; an incomplete form's error is announced and focused;
- printed to PDF (Chromium's own print path) the page holds the agency, its address, the
  code, the status and the page's address; the QR image is fetched for printing only.

axe-core is vendored (tests/vendor/axe.min.js, MPL-2.0, from the npm registry) and injected
with Playwright (`bypass_csp`: the page itself allows no script). The PDF is read with pypdf.
Under CI (CI=true) a missing chromium or playwright fails instead of skipping.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from counter.sync import sync_once
from portal import admin
from portal.server import ThreadedPortal
from tests.support.browser import ARGS, CHROMIUM, need_browser, wait_until
from tests.support.portal import CRITERIA, lookup_counter
from tests.support.portal_states import Made, make_states
from tests.support.sync import AGENCY, Counter

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
SLOW_3G = {  # Chromium DevTools' "Slow 3G"
    "offline": False,
    "latency": 400,
    "downloadThroughput": 500 * 1024 // 8,
    "uploadThroughput": 500 * 1024 // 8,
}

# Smallest visible text, in CSS px, of the elements that hold text directly.
MIN_FONT_JS = """() => {
  let min = 1e9, where = '';
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !el.getClientRects().length) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < min) { min = size; where = el.tagName + ': ' + node.textContent.trim(); }
  }
  return [min, where.slice(0, 80)];
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedPortal, Counter]]:
    tmp = tmp_path_factory.mktemp("site")
    with ThreadedPortal(tmp / "portal" / "portal.db", lookup_max_failures=500) as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        counter = lookup_counter(tmp, 3, portal, code)
        assert sync_once(counter.store, counter.config).ok
        try:
            yield portal, counter
        finally:
            counter.desk.close()


@pytest.fixture(scope="module")
def states(site: tuple[ThreadedPortal, Counter]) -> dict[str, Made]:
    portal, counter = site
    return make_states(counter, portal)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def axe_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})",
        WCAG_AA,
    )
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


@pytest.mark.parametrize("profile", ["phone", "desktop"])
def test_every_state_passes_axe_and_fits_a_small_phone(
    browser: Any, states: dict[str, Made], profile: str
) -> None:
    context = browser.new_context(**(PHONE if profile == "phone" else DESKTOP), bypass_csp=True)
    try:
        page = context.new_page()
        qr_fetched: list[str] = []
        page.on("request", lambda r: qr_fetched.append(r.url) if "qr.svg" in r.url else None)
        for name, made in states.items():
            page.goto(made.url)
            assert page.locator("#office").is_visible(), name  # who, where, when
            assert page.locator('#office a[href^="tel:"]').is_visible(), name
            assert axe_violations(page) == [], name
            if profile == "phone":
                smallest, where = page.evaluate(MIN_FONT_JS)
                assert smallest >= 16, (name, smallest, where)
                page.set_viewport_size({"width": 320, "height": 640})
                scroll = page.evaluate("document.documentElement.scrollWidth")
                assert scroll <= 320, (name, scroll)
                page.set_viewport_size(PHONE["viewport"])
        assert qr_fetched == []  # the QR costs nothing until the page is printed
        # The pages that are no dossier's: a forged receipt, the start page.
        forged = states["received"].url.rsplit("/", 1)[0] + "/" + "B" * 24
        home = states["received"].url.split("/TRA-CUU/")[0] + "/"
        for url in (forged, home):
            page.goto(url)
            assert axe_violations(page) == [], url
        # The rating form and its error, checked by axe too.
        page.goto(states["returned"].url)
        page.locator("#rating button").click()  # nothing chosen: the browser's own check
        assert page.url.lower() == states["returned"].url.lower()  # not sent
        assert axe_violations(page) == []
    finally:
        context.close()


def test_a_double_tap_on_a_slow_network_records_one_rating_and_thanks_in_place(
    browser: Any, states: dict[str, Made], site: tuple[ThreadedPortal, Counter]
) -> None:
    portal, _ = site
    made = states["returned"]
    storage: Any = portal.storage
    calls: list[str] = []
    real_submit = storage.submit_rating
    first_saved = threading.Event()

    def slow_submit(*args: Any, **kwargs: Any) -> Any:
        """The database answers slowly: the first tap is saved, its answer is still on its
        way when the second tap arrives."""
        calls.append("submit")
        try:
            return real_submit(*args, **kwargs)
        finally:
            first_saved.set()
            time.sleep(1.0)

    storage.submit_rating = slow_submit
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page.goto(made.url)
        assert page.locator('a[href="#rating"]').is_visible()  # the line at the top
        form = page.locator("#rating form")
        for key, value in CRITERIA.items():
            form.locator(f'input[name="{key}"][value="{value}"]').check()
        form.locator('input[name="overall"][value="very_satisfied"]').check()
        page.get_by_label("Góp ý thêm (không bắt buộc)").fill("Cán bộ hướng dẫn tận tình")
        button = form.locator("button")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        finger = {"x": box["x"] + box["width"] / 2, "y": box["y"] + box["height"] / 2}

        def tap() -> None:
            """A finger on the screen (CDP input), not Playwright's tap: that one waits for
            the navigation the first tap started, a person does not."""
            cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [finger]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})

        tap()
        assert first_saved.wait(15)
        tap()  # the second tap, while the first answer is still on its way
        page.wait_for_selector("#rated", timeout=30_000)
        assert len(posts) == 2 and calls == ["submit", "submit"]
        thanks = page.locator("#rated")
        assert "Cảm ơn ông/bà đã đánh giá" in thanks.inner_text()
        assert "đã được đánh giá; mỗi hồ sơ" not in page.locator("body").inner_text()
        assert page.evaluate("document.activeElement.id") == "rated"  # focus moved there
        assert page.locator('#rated [role="alert"]').count() == 1
        top = page.evaluate("document.getElementById('rated').getBoundingClientRect().top")
        assert 0 <= top < PHONE["viewport"]["height"]  # on screen, where the person is
    finally:
        storage.submit_rating = real_submit
        context.close()
    assert portal.storage.query("SELECT count(*) FROM ratings") == [(1,)]


def test_an_incomplete_rating_is_announced_and_focused(
    browser: Any, states: dict[str, Made], site: tuple[ThreadedPortal, Counter]
) -> None:
    """Without the browser's own check (an old browser, or a form sent by other means) the
    portal's 422 names the problem, in an alert that takes the focus, above the form."""
    from tests.support.builders import draft_for

    _, counter = site
    desk = counter.desk
    fresh = desk.receive(draft_for(desk, "1.004194"))
    desk.act(fresh.uuid, "result_ready")
    desk.act(fresh.uuid, "return_result", to="Nguyễn Văn Đức")
    assert sync_once(counter.store, counter.config).ok
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(states["result_ready"].url)
        assert page.locator("#rating").count() == 0  # no rating before the result is returned
        page.goto(desk.lookup_url(fresh))
        page.evaluate("document.querySelector('#rating form').noValidate = true")
        page.locator("#rating form input[value='2']").first.check()
        page.locator("#rating button").click()
        page.wait_for_selector("#error")
        assert page.evaluate("document.activeElement.id") == "error"
        error = page.locator("#error")
        assert error.get_attribute("role") == "alert"
        assert "Xin ông/bà chọn một mức" in error.inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("state", ["returned", "refused", "supplement_requested"])
def test_the_printed_page_is_a_record(browser: Any, states: dict[str, Made], state: str) -> None:
    from pypdf import PdfReader

    made = states[state]
    context = browser.new_context(**DESKTOP)
    try:
        page = context.new_page()
        qr: list[int] = []
        page.on("response", lambda r: qr.append(r.status) if "qr.svg" in r.url else None)
        page.goto(made.url)
        page.emulate_media(media="print")
        assert page.evaluate("getComputedStyle(document.querySelector('header')).color") == (
            "rgb(0, 0, 0)"
        )  # not pale on white paper
        dot = page.evaluate(
            "(() => { const s = getComputedStyle(document.querySelector('ol.timeline li'),"
            " '::before'); return [s.borderTopColor, s.borderTopWidth]; })()"
        )
        assert dot[0] == "rgb(0, 0, 0)" and float(dot[1].removesuffix("px")) >= 4  # a border,
        # which prints, not a background, which browsers drop by default
        assert page.locator(".record img").is_visible()
        wait_until(page, "document.querySelector('.record img').naturalWidth > 0")
        pdf = page.pdf(format="A4")
    finally:
        context.close()
    assert qr == [200]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for words in (
        "UBND phường Hoàn Kiếm",
        "Số 126 Hàng Trống",
        "1900 1234",
        made.code,
        "Tình trạng hồ sơ",
        "Ngày tiếp nhận",
    ):
        assert words in flat, (words, flat[:400])
    assert made.url.split("//", 1)[1][:20] in flat.replace(" ", "")
    assert "Gửi đánh giá" not in flat  # the form is not part of the record


def test_the_page_style_applies_under_its_own_csp_and_nothing_else_does(
    browser: Any, states: dict[str, Made]
) -> None:
    """With the CSP enforced (no `bypass_csp`), Chromium applies the layout's style, allowed
    by its hash, to a fresh and to a kept page alike, and refuses a style element added to
    the page (what an injection would add), and reports no other violation."""
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        refused: list[str] = []
        page.on(
            "console", lambda m: refused.append(m.text) if "Content Security" in m.text else None
        )
        for _view in range(2):  # the second view is the kept page
            page.goto(states["processing"].url)
            header = page.evaluate(
                "getComputedStyle(document.querySelector('header')).backgroundColor"
            )
            assert header == "rgb(163, 22, 26)"
        assert refused == []
        page.evaluate(
            """() => { const s = document.createElement('style');
                s.textContent = 'header{background:rgb(1, 2, 3)!important}';
                document.head.appendChild(s); }"""
        )
        page.wait_for_timeout(100)
        header = page.evaluate("getComputedStyle(document.querySelector('header')).backgroundColor")
        assert header == "rgb(163, 22, 26)" and refused  # refused, and said so
    finally:
        context.close()
