"""Pilot tests of the queue panel, the kiosk and the terminal board; the ticket's raster."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot

from counter.config import Config
from counter.queue import QueueSettings, Ticket
from counter.queue_client import HubQueue, LocalQueue
from counter.spool import pending_jobs
from counter.store import Store
from printing.decode import decode_raster
from printing.spool_worker import build_documents, job_bytes
from screens.board import BoardApp
from screens.kiosk import KioskApp
from screens.queue_panel import QueuePanel
from tests.conftest import FrozenClock

SIZE = (120, 40)


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let every queue worker finish; an exclusive poll may cancel an older one (no error)."""
    from textual.worker import WorkerCancelled

    for _ in range(500):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


@pytest.fixture
def local(config: Config, clock: FrozenClock) -> Iterator[LocalQueue]:
    q = LocalQueue(
        config.db_path,
        QueueSettings(),
        counter_no=3,
        centre=config.agency.centre,
        clock=clock,
    )
    yield q
    q.close()


class PanelHost(App[None]):
    def __init__(self, service: object):
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield QueuePanel(self.service, poll_seconds=0)  # type: ignore[arg-type]

    def on_mount(self) -> None:
        self.query_one(QueuePanel).focus()


async def test_queue_panel_keys(local: LocalQueue) -> None:
    for area in ("A", "A", "B"):
        local.issue(area)
    app = PanelHost(local)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(QueuePanel)
        await settle(app, pilot)
        await pilot.pause()
        assert panel.snapshot is not None and panel.snapshot.waiting["A"] == 2
        assert panel.ticket_number == ""

        await pilot.press("f6")  # call next
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        await pilot.pause()
        assert panel.ticket_number == "A001"
        assert "Đã gọi số A001" in str(panel.query_one("#queue-status").render())

        await pilot.press("f7")  # recall
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.current_ticket is not None and panel.current_ticket.call_count == 2

        panel.link_dossier("000.00.12.H26-261126-0001")  # a dossier started from the ticket
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.current_ticket is not None and panel.current_ticket.status == "serving"

        await pilot.press("f11")  # finish
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.ticket_number == ""
        assert local.engine.ticket("A001").dossiers == ("000.00.12.H26-261126-0001",)

        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.pause()
        await pilot.press("f10")  # transfer to area B
        await pilot.pause()
        await pilot.press("B", "enter")
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert local.engine.ticket("A002").status == "transferred"

        await pilot.press("f6")  # A002 was issued before B001: it comes first
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.ticket_number == "A002"
        await pilot.press("f9")  # hold
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.snapshot is not None and [t.number for t in panel.snapshot.on_hold] == ["A002"]
        await pilot.press("shift+f6")  # call the held ticket back
        await pilot.pause()
        await pilot.press("a", "0", "0", "2", "enter")
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert panel.ticket_number == "A002"
        await pilot.press("f8")  # no-show
        await settle(app, pilot)
        await pilot.pause()
        await settle(app, pilot)
        assert local.engine.ticket("A002").status == "no_show"


async def test_queue_panel_says_when_the_hub_is_down(tmp_path: Path) -> None:
    from portal.hub.server import bind

    sock = bind()
    port = sock.getsockname()[1]
    sock.close()
    hub = HubQueue(f"http://127.0.0.1:{port}", QueueSettings(), counter_no=1, timeout=0.3)
    app = PanelHost(hub)
    async with app.run_test(size=SIZE) as pilot:
        panel = app.query_one(QueuePanel)
        await settle(app, pilot)
        await pilot.pause()
        assert panel.hub_down
        text = str(panel.query_one("#queue-status").render())
        assert "Mất kết nối máy chủ hàng đợi" in text and "vẫn dùng được" in text
        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.pause()
        assert panel.hub_down and panel.ticket_number == ""
    hub.close()


async def test_kiosk_issues_and_prints_a_ticket(
    config: Config, local: LocalQueue, clock: FrozenClock
) -> None:
    printer = config.printers[0]
    issued: list[Ticket] = []
    app = KioskApp(
        local,
        centre=config.agency.centre,
        printer=printer.name,
        on_issued=issued.append,
        result_seconds=60,
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")  # B — Cư trú
        await settle(app, pilot)
        await pilot.pause()
        assert app.last_ticket is not None and app.last_ticket.number == "B001"
        assert app.mode == "result" and issued == [app.last_ticket]
        shown = str(app.query_one("#kiosk-result").render())
        assert "B001" in shown and "Cư trú" in shown
        await pilot.press("escape")
        await pilot.press("0", "1", "1")  # priority: elderly, area A
        await settle(app, pilot)
        await pilot.pause()
        assert app.last_ticket is not None
        assert (app.last_ticket.number, app.last_ticket.priority) == ("A001", "elderly")

    store = Store(config.db_path)
    jobs = [j for j in pending_jobs(store) if j.kind == "ticket"]
    store.close()
    assert [j.document["number"] for j in jobs] == ["B001", "A001"]
    doc = build_documents(jobs[0])[0]
    assert doc.number == "B001" and doc.area_name == "Cư trú"  # type: ignore[union-attr]
    page = decode_raster(job_bytes(jobs[0], printer), printer.paper_width_dots)
    assert page.width == printer.paper_width_dots and page.height > 200
    black = page.histogram()[0]
    assert black > 2000  # the big number and the text are there
    other = decode_raster(job_bytes(jobs[1], printer), printer.paper_width_dots)
    assert other.tobytes() != page.tobytes()  # a different number prints differently


async def test_kiosk_outside_hours_explains(
    config: Config, local: LocalQueue, clock: FrozenClock
) -> None:
    clock.now = clock.now.replace(hour=17)
    app = KioskApp(local, centre="TT", result_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1")
        await settle(app, pilot)
        await pilot.pause()
        assert "Ngoài giờ cấp số" in str(app.query_one("#kiosk-result").render())


async def test_terminal_board_shows_calls(local: LocalQueue) -> None:
    from tests.test_tui_support import wait_for

    local.issue("A")
    local.issue("C")
    app = BoardApp(local, centre="Trung tâm", poll=0.1)

    def latest() -> str:
        return str(app.query_one("#board-latest").render())

    async with app.run_test(size=SIZE) as pilot:
        # Wait for what the board shows, not for its workers: a newer poll may cancel one.
        await wait_for(pilot, lambda: "Mời công dân lấy số" in latest(), tries=2000)
        local.call_next()
        await wait_for(pilot, lambda: "A001" in latest(), tries=2000)
        assert "Mời công dân có số thứ tự A001 đến quầy số 3" in latest()
