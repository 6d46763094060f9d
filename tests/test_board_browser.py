"""The waiting-hall board in a real headless Chromium (Debian's, through Playwright), against a
real hub on 127.0.0.1: calls in a burst, a reconnect, the audio in order, fifty counters on a
1920×1080 and a 1366×768 screen, and the hub's Vietnam time on a TV set to another zone.

Under CI a missing browser fails the test: the project's CI script installs `chromium`.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from counter.queue import QueueSettings
from counter.vi_numerals import call_words
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from tests.support.browser import CHROMIUM, need_browser
from tests.support.clock import FrozenClock

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    # a hall TV starts its browser like this (README): sound without a click
    "--autoplay-policy=no-user-gesture-required",
]
SETTINGS = QueueSettings(max_per_person_per_day=0, max_per_person_per_area=0)


def _need_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        message = "the hall's voice needs espeak-ng (apt-get install espeak-ng)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[RunningHub]:
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, centre="Trung tâm PVHCC", clock=clock)
    running = serve_in_thread(create_app(h))
    yield running
    running.stop()


class _Browser:
    """Chromium whose pages report every script error: a board whose JavaScript throws must
    fail the test that loaded it, not pass on what the server rendered."""

    def __init__(self, browser: Any):
        self.browser = browser
        self.errors: list[str] = []

    def _watch(self, page: Any) -> Any:
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        return page

    def new_page(self, **kw: Any) -> Any:
        return self._watch(self.browser.new_page(**kw))

    def new_context(self, **kw: Any) -> Any:
        context = self.browser.new_context(**kw)
        context.on("page", self._watch)
        return context


@pytest.fixture
def browser() -> Iterator[Any]:
    need_browser("the board browser test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        watched = _Browser(b)
        try:
            yield watched
        finally:
            b.close()
        assert watched.errors == [], "the board's script threw"


def _issue(url: str, n: int, area: str = "A") -> None:
    with httpx.Client(base_url=url) as c:
        for _ in range(n):
            assert c.post("/api/tickets", json={"area": area}).status_code == 200


def _call(url: str, counters: range | list[int]) -> list[str]:
    with httpx.Client(base_url=url) as c:
        return [
            c.post(f"/api/counters/{n}/call-next", json={}).json()["ticket"]["number"]
            for n in counters
        ]


def _seqs(url: str) -> list[int]:
    """Every call's sequence number, oldest first, as the hub has them."""
    board = httpx.get(url + "/api/board").json()
    return sorted(c["seq"] for c in board["calls"])


def test_board_page_updates_after_a_call(hub: RunningHub, browser: Any) -> None:
    _issue(hub.url, 2)
    _issue(hub.url, 1, "C")
    page = browser.new_page()
    page.goto(hub.url + "/board?sound=off")
    assert "Bảng gọi số" in page.title()
    assert page.locator("#latest-msg").inner_text().startswith("Mời công dân lấy số")
    assert "Hộ tịch" in page.locator("#waiting").inner_text()
    started = time.monotonic()
    assert _call(hub.url, [3]) == ["A001"]
    page.wait_for_function(
        "document.getElementById('latest-num').textContent === 'A001'", timeout=2000
    )
    assert time.monotonic() - started < 2
    assert (
        page.locator("#latest-msg").inner_text() == "Mời công dân có số thứ tự A001 đến quầy số 3"
    )
    page.wait_for_selector('#tiles .tile[data-counter="3"]')
    assert page.locator('#tiles .tile[data-counter="3"] .num').inner_text() == "A001"
    httpx.post(hub.url + "/api/counters/5/call-next", json={"areas": ["C"]})
    page.wait_for_function(
        "document.getElementById('latest-num').textContent === 'C001'", timeout=4000
    )
    page.wait_for_selector('#tiles .tile[data-counter="5"]')
    assert "A001" in page.locator("#calls").inner_text()
    english = browser.new_page()  # an English board for visitors: same calls, English words
    english.goto(hub.url + "/board?sound=off&lang=en")
    assert english.locator("#latest-msg").inner_text() == "Number C001, please come to counter 5"
    assert "Now serving" in english.locator("main").inner_text()
    assert english.locator('#tiles .tile[data-counter="5"] .ctr').inner_text() == "Counter 5"


def test_a_burst_of_calls_is_shown_in_turn_none_lost_none_twice(
    hub: RunningHub, browser: Any
) -> None:
    """Twelve calls land between two of the old board's polls: each is shown, in order."""
    _issue(hub.url, 12)
    page = browser.new_page()
    page.goto(hub.url + "/board?sound=off&hold=200")
    page.wait_for_function("window.hall && window.hall.source.readyState === 1")
    numbers = _call(hub.url, range(1, 13))
    seqs = _seqs(hub.url)[-8:]  # the hub's board lists the last eight…
    page.wait_for_function("window.hall.shown.length >= 12", timeout=15_000)
    hall = page.evaluate("({shown: window.hall.shown, received: window.hall.received})")
    assert hall["received"] == hall["shown"]  # shown in the order received
    assert len(set(hall["shown"])) == 12 == len(hall["shown"])  # …the board got all twelve
    assert hall["shown"] == sorted(hall["shown"]) and hall["shown"][-8:] == seqs
    assert page.locator("#latest-num").inner_text() == numbers[-1]
    listed = page.evaluate(
        "[...document.querySelectorAll('#calls tr')].map(r => r.cells[0].textContent)"
    )
    assert listed == numbers[::-1][:8]  # newest first (the rows that fit are visible)


def test_a_reconnect_loses_no_call_and_repeats_none(
    tmp_path: Path, clock: FrozenClock, browser: Any
) -> None:
    """The hub goes away while calls are made (here: straight into its file, as a restarted
    hub would have them); the board reconnects by itself and shows exactly the missed ones."""
    db = tmp_path / "hub.sqlite3"
    running = serve_in_thread(create_app(Hub(db, SETTINGS, clock=clock)))
    port = int(running.url.rsplit(":", 1)[1])
    try:
        _issue(running.url, 6)
        page = browser.new_page()
        page.goto(running.url + "/board?sound=off&hold=200")
        _call(running.url, [1, 2])
        page.wait_for_function("window.hall.shown.length === 2", timeout=5000)
        running.stop()
        page.wait_for_function(
            "document.getElementById('status').textContent.indexOf('Mất kết nối') === 0",
            timeout=5000,
        )
        hub = Hub(db, SETTINGS, clock=clock)
        for counter in (3, 4, 5):
            hub.engine.call_next(counter)
        running = serve_in_thread(create_app(hub), port=port)
        page.wait_for_function("window.hall.shown.length >= 5", timeout=10_000)
        _call(running.url, [6])  # and the stream goes on after the reconnect
        page.wait_for_function("window.hall.shown.length >= 6", timeout=5000)
        time.sleep(0.5)  # a repeat, if any, would arrive now
        shown = page.evaluate("window.hall.shown")
        assert shown == _seqs(running.url)[-6:] and len(set(shown)) == 6
        assert page.locator("#status").inner_text() == ""
    finally:
        running.stop()


def test_a_call_plays_the_chime_then_the_vietnamese_clips_in_order(
    hub: RunningHub, browser: Any
) -> None:
    """Two calls in a row: the hub's chime and words, call after call, each clip real audio
    that Chromium decodes and plays to its end (no browser voice involved)."""
    _need_espeak()
    _issue(hub.url, 11, "B")
    _call(hub.url, [1] * 10)  # B001…B010 served: the next is B011
    page = browser.new_page()
    requests: list[str] = []
    page.on(
        "request",
        lambda r: (
            requests.append(unquote(r.url.split("/audio/", 1)[1])) if "/audio/" in r.url else None
        ),
    )
    page.goto(hub.url + "/board?hold=200")
    page.wait_for_function("window.hall && window.hall.source.readyState === 1")
    _issue(hub.url, 1, "B")
    assert _call(hub.url, [3, 12]) == ["B011", "B012"]
    first = ["chime", *call_words("B011", 3)]
    second = ["chime", *call_words("B012", 12)]
    assert first == [
        "chime", "mời công dân có số thứ tự", "bê", "mười", "một", "đến quầy số", "ba",
    ]  # fmt: skip
    page.wait_for_function(
        f"window.hall.ended.length >= {len(first) + len(second)}", timeout=30_000
    )
    played = [unquote(u.split("/audio/", 1)[1]) for u in page.evaluate("window.hall.played")]
    assert played == first + second  # no "error:" entry: every clip decoded and played
    ended = [unquote(u.split("/audio/", 1)[1]) for u in page.evaluate("window.hall.ended")]
    assert ended == played  # …each to its end before the next began
    # the hub was asked for each clip as it came up (the browser may cache a repeated word)
    assert list(dict.fromkeys(requests)) == list(dict.fromkeys(first + second))
    assert set(requests) <= set(first + second)
    assert page.evaluate("window.hall.spoken") == []  # the browser's voice was not needed


def test_a_clip_that_cannot_be_played_never_stops_the_hall(
    tmp_path: Path, clock: FrozenClock, browser: Any
) -> None:
    """No espeak-ng and no recordings: every word is a 404. The chime still plays, the failed
    clips are skipped, and every call is still shown in turn."""
    h = Hub(tmp_path / "hub.sqlite3", SETTINGS, clock=clock)
    h.voice.espeak = None
    running = serve_in_thread(create_app(h))
    try:
        _issue(running.url, 2)
        page = browser.new_page()
        page.goto(running.url + "/board?hold=200")
        page.wait_for_function("window.hall && window.hall.source.readyState === 1")
        _call(running.url, [1, 2])
        page.wait_for_function("window.hall.shown.length === 2", timeout=20_000)
        page.wait_for_function("window.hall.played.length >= 16", timeout=20_000)
        played = page.evaluate("window.hall.played")
        ended = page.evaluate("window.hall.ended")
        assert [u for u in ended] == ["/audio/chime"] * len(ended) and len(ended) >= 1
        assert any(u.startswith("error:/audio/") for u in played)
    finally:
        running.stop()


def _layout_report(page: Any) -> dict[str, Any]:
    return page.evaluate(
        """() => {
      const vw = innerWidth, vh = innerHeight;
      const foot = document.querySelector('footer').getBoundingClientRect();
      const head = document.querySelector('header').getBoundingClientRect();
      const box = document.getElementById('tiles').getBoundingClientRect();
      const tiles = [...document.querySelectorAll('#tiles .tile')].map(t => {
        const r = t.getBoundingClientRect(), num = t.querySelector('.num');
        return {counter: +t.dataset.counter, top: r.top, bottom: r.bottom, left: r.left,
                right: r.right, font: parseFloat(getComputedStyle(num).fontSize),
                clipped: t.scrollWidth > t.clientWidth + 1 || t.scrollHeight > t.clientHeight + 1};
      });
      const el = document.scrollingElement;
      const cut = [...document.querySelectorAll('#calls tr, #waiting tr')].filter(r => {
        if (r.style.display === 'none') return false;
        const b = r.getBoundingClientRect(), box = r.closest('div').getBoundingClientRect();
        return b.bottom > box.bottom + 0.5 || b.bottom > foot.top;
      }).length;
      return {vw, vh, tiles, foot: foot.top, head: head.bottom, box: box.bottom,
              scroll: el.scrollHeight > el.clientHeight || el.scrollWidth > el.clientWidth,
              pages: window.hall.pages, cut};
    }"""
    )


def _check_fits(report: dict[str, Any]) -> None:
    assert not report["scroll"], "the board must never scroll"
    assert report["cut"] == 0, "a list row is cut in half"
    for t in report["tiles"]:
        assert t["top"] >= report["head"] and t["bottom"] <= report["foot"], t
        assert t["left"] >= 0 and t["right"] <= report["vw"], t
        assert t["font"] >= 24, t  # readable across a hall
        assert not t["clipped"], t


@pytest.mark.parametrize("size", [(1920, 1080), (1366, 768)])
def test_fifty_counters_fit_the_screen_readable_without_scrolling(
    hub: RunningHub, browser: Any, size: tuple[int, int]
) -> None:
    _issue(hub.url, 50)
    _call(hub.url, range(1, 51))
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(hub.url + "/board?sound=off")
    page.wait_for_function("document.querySelectorAll('#tiles .tile').length > 0")
    report = _layout_report(page)
    assert report["pages"] == 1 and sorted(t["counter"] for t in report["tiles"]) == list(
        range(1, 51)
    )  # all fifty at once
    _check_fits(report)
    assert min(t["font"] for t in report["tiles"]) >= (36 if size[0] == 1920 else 26)


@pytest.mark.parametrize(
    ("size", "counters"), [((1280, 720), 99), ((1024, 576), 60), ((800, 480), 20)]
)
def test_more_counters_than_fit_turn_pages_and_every_counter_is_shown(
    hub: RunningHub, browser: Any, size: tuple[int, int], counters: int
) -> None:
    """The drill behind the 50-counter case: wherever the tiles do not all fit at a readable
    size, pages turn by themselves; each page fits, and every counter is on one of them."""
    _issue(hub.url, counters)
    _call(hub.url, range(1, counters + 1))
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.goto(hub.url + "/board?sound=off&page_ms=400")
    page.wait_for_function("document.querySelectorAll('#tiles .tile').length > 0")
    seen: set[int] = set()
    pages = _layout_report(page)["pages"]
    deadline = time.monotonic() + 10
    while len(seen) < counters and time.monotonic() < deadline:
        report = _layout_report(page)
        _check_fits(report)
        seen |= {t["counter"] for t in report["tiles"]}
        time.sleep(0.1)
    assert seen == set(range(1, counters + 1))
    assert pages >= (2 if counters > 50 else 1)


def test_the_clock_is_vietnam_time_from_the_hub_whatever_the_tv_zone(
    hub: RunningHub, browser: Any, clock: FrozenClock
) -> None:
    """The TV is set to New York (and its own clock is today, not the hub's day): the board
    shows the hub's 09:30 in Vietnam, as do the times of the calls."""
    _issue(hub.url, 1)
    _call(hub.url, [2])
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    page.goto(hub.url + "/board?sound=off")
    page.wait_for_function("document.getElementById('clock').textContent !== ''")
    assert clock.now.strftime("%H:%M") == "09:30"
    assert page.locator("#clock").inner_text() in ("09:30", "09:31")
    assert page.evaluate("new Date().getTimezoneOffset()") != -420  # the TV is not in Vietnam
    assert page.locator("#calls tr").first.inner_text().split()[-1] == "09:30"
    context.close()
