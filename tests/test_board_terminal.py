"""The terminal board (`counter board`) in step with the web board: a burst of calls shown one
after another (none lost, none twice) from a real hub, and fifty counters that fit the
terminal or turn pages — each page drawn within the widget."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widgets import Static

from counter.queue import QueueSettings
from counter.queue_client import HubQueue
from portal.hub.app import Hub, create_app
from portal.hub.server import RunningHub, serve_in_thread
from screens.board import BoardApp
from tests.support.clock import FrozenClock, SteppedClock
from tests.support.tui import wait_for

SETTINGS = QueueSettings(max_per_person_per_day=0, max_per_person_per_area=0)


@pytest.fixture
def hub(tmp_path: Path, clock: FrozenClock) -> Iterator[RunningHub]:
    running = serve_in_thread(create_app(Hub(tmp_path / "hub.sqlite3", SETTINGS, clock=clock)))
    yield running
    running.stop()


def _counters(url: str, n: int) -> list[HubQueue]:
    return [HubQueue(url, SETTINGS, counter_no=k) for k in range(1, n + 1)]


async def test_a_burst_of_calls_is_shown_in_turn_from_the_hub(hub: RunningHub) -> None:
    board_client = HubQueue(hub.url, SETTINGS, counter_no=99)
    counters = _counters(hub.url, 12)
    for _ in range(12):
        counters[0].issue("A")
    app = BoardApp(board_client, centre="Trung tâm", poll=0.1, hold=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app._seen is not None, tries=2000)
        numbers = [c.call_next() for c in counters]  # twelve calls between two polls
        await wait_for(pilot, lambda: len(app.shown) >= 12, tries=4000)
        seqs = [c.id for c in board_client.calls_since(0)]
        assert app.shown == seqs and len(set(seqs)) == 12
        latest = str(app.query_one("#board-latest", Static).render())
        assert numbers[-1] is not None and numbers[-1].number in latest
    for c in (*counters, board_client):
        c.close()


def _page_lines(app: BoardApp) -> tuple[int, int, list[str]]:
    """The counters' widget as drawn on the terminal, and the room its column has."""
    widget = app.query_one("#board-current-table", Static)
    box = app.query_one("#board-current")
    size = widget.size
    lines = [strip.text for strip in widget.render_lines(Region(0, 0, size.width, size.height))]
    return box.content_size.width, box.content_size.height, lines


@pytest.mark.parametrize(("size", "one_page"), [((240, 60), True), ((120, 30), False)])
async def test_fifty_counters_fit_the_terminal_or_turn_pages(
    hub: RunningHub, size: tuple[int, int], one_page: bool
) -> None:
    counters = _counters(hub.url, 50)
    for _ in range(50):
        counters[0].issue("A")
    for c in counters:
        c.call_next()
    clock = SteppedClock()
    app = BoardApp(counters[0], poll=0.1, hold=0.05, page_seconds=0.3, clock=clock)
    seen: set[int] = set()
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.view is not None and len(app.view.current) == 50)
        for _ in range(40):
            clock.advance(app.page_seconds)  # the next page is due: turn it, no waiting
            app.tick()
            await pilot.pause()
            _page, _pages, shown = app.current_page
            _width, height, lines = _page_lines(app)
            assert len(lines) <= height, "the counters overflow the board"
            assert app.query_one("#board-current-table").size.height <= height
            drawn = "\n".join(lines)
            for no in shown:
                assert f"Quầy {no} A{no:03d}" in drawn
            seen |= set(shown)
            if seen == set(range(1, 51)):
                break
        assert seen == set(range(1, 51)) and (app.current_page[1] == 1) == one_page
    for c in counters:
        c.close()
