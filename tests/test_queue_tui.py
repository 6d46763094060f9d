"""Pilot tests of the queue panel, the kiosk and the terminal board; the ticket's raster."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from counter.config import Config
from counter.queue import QueueSettings, Ticket
from counter.queue_client import HubQueue, LocalQueue
from counter.spool import pending_jobs
from counter.store import Store
from printing.decode import decode_raster
from printing.spool_worker import build_documents, job_bytes
from screens.board import BoardApp
from screens.kiosk import KEY_SETTLE_SECONDS, KioskApp
from screens.queue_panel import QueuePanel
from tests.support.clock import FrozenClock, SteppedClock
from tests.support.queue_tui import PRESS_GAP, decide, deliver, scan, settle, tap

SIZE = (120, 40)


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
        key_clock=SteppedClock(),
    )
    async with app.run_test(size=SIZE) as pilot:
        await tap(app, pilot, "2")  # B — Cư trú
        assert app.last_ticket is not None and app.last_ticket.number == "B001"
        assert app.mode == "result" and issued == [app.last_ticket]
        shown = str(app.query_one("#kiosk-result").render())
        assert "B001" in shown and "Cư trú" in shown
        await pilot.press("escape")
        await tap(app, pilot, "0", "1", "1")  # priority: elderly, area A
        assert app.last_ticket is not None
        assert (app.last_ticket.number, app.last_ticket.priority) == ("A001", "elderly")

    store = Store(config.db_path)
    jobs = [j for j in pending_jobs(store) if j.kind == "ticket"]
    store.close()
    assert [j.document["number"] for j in jobs] == ["B001", "A001"]
    doc = build_documents(jobs[0])[0]
    assert doc.number == "B001" and doc.area_name == "Cư trú"
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
    app = KioskApp(local, centre="TT", result_seconds=60, key_clock=SteppedClock())
    async with app.run_test(size=SIZE) as pilot:
        await tap(app, pilot, "1")
        assert "Ngoài giờ cấp số" in str(app.query_one("#kiosk-result").render())


YOUNG = "001090012345|123456789|Nguyễn Văn An|15031990|Nam|Số 5 Hàng Bạc, Hà Nội|01072021"
OLDER = "001145012345||Trần Thị Bình|02021945|Nữ|Số 9 Hàng Đào, Hà Nội|01072021"


async def test_kiosk_reads_an_id_card_for_the_limits_and_the_age_priority(
    local: LocalQueue,
) -> None:
    """Scanning the chip ID card's QR before pressing: the person's limits apply (1 per area,
    2 a day), 75 or older gets the elderly priority, the screen greets by the masked name,
    and the address is never shown or kept."""
    app = KioskApp(local, centre="TT", result_seconds=60, key_clock=SteppedClock())
    async with app.run_test(size=SIZE) as pilot:
        hint = app.query_one("#kiosk-hint")
        await scan(app, pilot, YOUNG)
        assert "Xin chào Nguyễn V. A." in str(hint.render())
        assert app.mode == "areas" and app.last_ticket is None  # its digits took no number
        await tap(app, pilot, "1")
        first = app.last_ticket
        assert first is not None and (first.number, first.priority) == ("A001", "")
        assert app.card is None  # forgotten once the ticket is out
        assert "Xin chào" not in str(hint.render())
        await pilot.press("escape")
        await scan(app, pilot, YOUNG)
        await tap(app, pilot, "1")
        shown = str(app.query_one("#kiosk-result").render())
        assert "Mỗi người chỉ được lấy 1 số cho lĩnh vực" in shown and app.last_ticket == first
        await pilot.press("escape")
        await scan(app, pilot, YOUNG)
        await tap(app, pilot, "2")
        assert app.last_ticket is not None and app.last_ticket.number == "B001"
        await pilot.press("escape")
        await scan(app, pilot, YOUNG)
        await tap(app, pilot, "3")
        assert "Mỗi người chỉ được lấy 2 số mỗi ngày" in str(
            app.query_one("#kiosk-result").render()
        )
        # Someone else, born in 1945: the elderly priority without pressing 0.
        await pilot.press("escape")
        await scan(app, pilot, OLDER)
        assert "Trần T. B." in str(hint.render()) and "75 tuổi" in str(hint.render())
        await tap(app, pilot, "1")
        assert app.last_ticket is not None
        assert (app.last_ticket.number, app.last_ticket.priority) == ("A002", "elderly")
        # Not a card: said so, and a person can still just press.
        await pilot.press("escape")
        await scan(app, pilot, "HTTP://EXAMPLE.ORG/SOMETHING")
        assert "Không đọc được mã trên thẻ căn cước" in str(hint.render())
        await tap(app, pilot, "4")
        assert app.last_ticket is not None and app.last_ticket.number == "D001"
    keys = [
        r[0]
        for r in local.engine.store.conn.execute("SELECT person_key FROM queue_tickets ORDER BY id")
    ]
    assert keys[0] and keys[0] == keys[1] != keys[2] and keys[3] == ""
    stored = " ".join(
        str(v)
        for row in local.engine.store.conn.execute("SELECT * FROM queue_tickets")
        for v in row
    )
    assert "001090012345" not in stored and "Hàng Bạc" not in stored and "Nguyễn" not in stored


async def test_terminal_board_shows_calls(local: LocalQueue) -> None:
    from tests.support.tui import wait_for

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


async def test_kiosk_groups_keys_by_delivery_time_not_by_when_it_handles_them(
    local: LocalQueue,
) -> None:
    """A slow moment of the kiosk PC: a person's presses, delivered a moment apart, are handled
    in one burst and stay presses; a scan's keys, handled one at a time, stay one scan."""
    clock = SteppedClock()
    app = KioskApp(local, centre="TT", result_seconds=60, key_clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        hint = app.query_one("#kiosk-hint")
        t = clock()
        deliver(app, [(t, "0"), (t + PRESS_GAP, "1")])  # both wait in the queue together
        clock.advance(PRESS_GAP)
        await decide(app, pilot)
        assert app.mode == "areas" and app.priority == "elderly", str(hint.render())
        start = clock()
        for i, char in enumerate([*YOUNG, "enter"]):  # 5 ms apart by the terminal's clock
            deliver(app, [(start + i * 0.005, char)])
            await pilot.pause()  # …but each one handled on its own
        clock.advance(len(YOUNG) * 0.005)
        await decide(app, pilot)
        assert "Xin chào Nguyễn V. A." in str(hint.render())
        assert app.last_ticket is None  # the card's digits took no number


async def test_kiosk_decides_only_once_its_clock_says_the_keys_settled(
    local: LocalQueue,
) -> None:
    clock = SteppedClock()
    app = KioskApp(local, centre="TT", result_seconds=60, key_clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        pressed = clock()
        deliver(app, [(pressed, "1")])
        await pilot.pause()
        clock.advance(KEY_SETTLE_SECONDS * 0.9)
        app.settle_keys()  # too early: another key may still belong to this one
        await settle(app, pilot)
        assert app.last_ticket is None and app.mode == "areas"
        clock.now = pressed + KEY_SETTLE_SECONDS
        app.settle_keys()
        await settle(app, pilot)
        assert app.last_ticket is not None and app.last_ticket.number == "A001"


def test_the_kiosk_times_keys_on_the_clock_textual_stamps_them_with() -> None:
    """By default the settling compares `Key.time` with `key_clock()`: one clock, or a person's
    presses would never (or always) look settled."""
    import inspect

    from textual import events

    default = inspect.signature(KioskApp).parameters["key_clock"].default
    before = default()
    stamped = events.Key("1", "1").time
    assert before <= stamped <= default()


async def test_kiosk_on_the_real_clock_still_settles_by_itself(local: LocalQueue) -> None:
    """The production path: Textual's clock and the settle timer, no test clock (it waits
    about KEY_SETTLE_SECONDS of wall time, by necessity)."""
    from tests.support.tui import wait_for

    app = KioskApp(local, centre="TT", result_seconds=60)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: app.last_ticket is not None, tries=2000)
        assert app.last_ticket is not None and app.last_ticket.number == "B001"
