"""Snapshots of every screen and dialog at 80×24 and 160×50 (frozen clock, fixed ids, no
cursor blink, no toasts)."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, TextArea

from counter.demo import seed_demo
from counter.desk import Desk
from counter.store import Store
from counter.timeutil import VN_TZ
from screens.app import CounterApp
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.main import MainScreen
from tests.support.clock import FrozenClock
from tests.support.config import make_config
from tests.support.tui import CONTRACT, wait_for

SIZES = [(80, 24), (160, 50)]


@pytest.fixture
def demo_desk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    config = make_config(tmp_path, counter={"demo_data": True})
    # Fixed device identity and dossier UUIDs: the receipt QR is the same every run.
    store = Store(config.db_path)
    store.set_setting("device_id", "00000000-0000-4000-8000-000000000001")
    store.set_setting("device_secret", "ab" * 32)
    store.close()
    counter = iter(range(1, 10**6))
    monkeypatch.setattr(uuidlib, "uuid4", lambda: uuidlib.UUID(int=next(counter), version=4))
    # Late afternoon, so today's list has a day's worth of demo dossiers.
    desk = Desk.open(config, clock=FrozenClock(datetime(2026, 11, 26, 16, 0, tzinfo=VN_TZ)))
    seed_demo(desk)
    yield desk
    desk.close()


class QuietApp(CounterApp):
    """No toasts in snapshots (their timing is not the screen's)."""

    def notify(self, *args: Any, **kwargs: Any) -> None:
        pass


def _no_blink(app: CounterApp) -> None:
    for field in app.screen.query(Input):
        field.cursor_blink = False
    for area in app.screen.query(TextArea):
        area.cursor_blink = False


async def _settle(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, CounterApp)
    _no_blink(app)
    await pilot.pause()
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_login_snapshot(snap_compare: Any, demo_desk: Desk, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press(*"canbo")
        await _settle(pilot)

    assert snap_compare(CounterApp(demo_desk), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_main_snapshot(snap_compare: Any, demo_desk: Desk, size: tuple[int, int]) -> None:
    demo_desk.login("canbo", "1234")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        await _settle(pilot)

    assert snap_compare(CounterApp(demo_desk), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_new_dossier_snapshot(snap_compare: Any, demo_desk: Desk, size: tuple[int, int]) -> None:
    demo_desk.login("canbo", "1234")

    async def run_before(pilot: Pilot[Any]) -> None:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, IntakeScreen))
        await pilot.press(*CONTRACT, "enter", *"Nguyễn Văn Đức", "tab", *"12345", "tab")
        await _settle(pilot)

    assert snap_compare(CounterApp(demo_desk), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_detail_snapshot(snap_compare: Any, demo_desk: Desk, size: tuple[int, int]) -> None:
    demo_desk.login("canbo", "1234")
    # The demo's oldest dossier with a supplement request: a long timeline.
    dossier = next(
        d
        for d in reversed(demo_desk.search("000.00.12.H26", page_size=100).dossiers)
        if d.status == "supplement_requested"
    )

    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, CounterApp)
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await app.open_dossier(dossier)
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        await _settle(pilot)

    assert snap_compare(CounterApp(demo_desk), terminal_size=size, run_before=run_before)


def _supplement_dossier(desk: Desk) -> Any:
    return next(
        d
        for d in reversed(desk.search("000.00.12.H26", page_size=100).dossiers)
        if d.status == "supplement_requested"
    )


async def _to_dossier(pilot: Pilot[Any], desk: Desk) -> None:
    app = pilot.app
    assert isinstance(app, CounterApp)
    await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
    await app.open_dossier(_supplement_dossier(desk))
    await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))


def _screen_is(name: str) -> Any:
    return lambda pilot: type(pilot.app.screen).__name__ == name


async def _menu(pilot: Pilot[Any], desk: Desk) -> None:
    await _to_dossier(pilot, desk)
    await pilot.press("ctrl+x")
    await wait_for(pilot, lambda: _screen_is("ActionMenu")(pilot))


async def _refuse_form(pilot: Pilot[Any], desk: Desk) -> None:
    await _menu(pilot, desk)
    await pilot.press("r")
    await wait_for(pilot, lambda: _screen_is("ActionForm")(pilot))


async def _receipt(pilot: Pilot[Any], desk: Desk) -> None:
    await _menu(pilot, desk)
    await pilot.press("v")
    await wait_for(pilot, lambda: _screen_is("ReceiptPreview")(pilot))


async def _received(pilot: Pilot[Any], desk: Desk) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, IntakeScreen))
    await pilot.press(*CONTRACT, "enter", *"Nguyễn Văn Đức", "tab", *"001090012345", "ctrl+s")
    await wait_for(pilot, lambda: _screen_is("ReceivedModal")(pilot))


async def _search(pilot: Pilot[Any], desk: Desk) -> None:
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: _screen_is("SearchScreen")(pilot))
    await pilot.press(*"nguyen", "enter")


async def _help(pilot: Pilot[Any], desk: Desk) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
    await pilot.press("f1")
    await wait_for(pilot, lambda: _screen_is("HelpScreen")(pilot))


async def _status(pilot: Pilot[Any], desk: Desk) -> None:
    await pilot.press("f3")
    await wait_for(pilot, lambda: _screen_is("SystemStatusScreen")(pilot))


async def _discard(pilot: Pilot[Any], desk: Desk) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, IntakeScreen))
    await pilot.press(*"Nguyễn", "ctrl+d")
    await wait_for(pilot, lambda: _screen_is("ActionMenu")(pilot))


async def _card(pilot: Pilot[Any], desk: Desk) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, IntakeScreen))
    card = "001303012345|012345678|Lê Thị Hoa|15082003|Nữ|Số 1 Tràng Tiền, Hà Nội|20042021"
    await pilot.press(*card, "enter")
    form = pilot.app.screen
    await wait_for(pilot, lambda: form.query_one("#applicant-id", Input).value != "")


OFFICER_VIEWS = {
    "dossier_menu": _menu,
    "refuse_form": _refuse_form,
    "receipt_preview": _receipt,
    "received": _received,
    "search": _search,
    "help": _help,
    "status": _status,
    "discard_question": _discard,
    "intake_from_id_card": _card,
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", list(OFFICER_VIEWS))
def test_officer_view_snapshot(
    snap_compare: Any, demo_desk: Desk, view: str, size: tuple[int, int]
) -> None:
    demo_desk.login("canbo", "1234")

    async def run_before(pilot: Pilot[Any]) -> None:
        await OFFICER_VIEWS[view](pilot, demo_desk)
        await _settle(pilot)

    assert snap_compare(QuietApp(demo_desk), terminal_size=size, run_before=run_before)


async def _supervisor(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+t")
    await wait_for(pilot, lambda: _screen_is("SupervisorScreen")(pilot))


async def _drilldown(pilot: Pilot[Any]) -> None:
    await _supervisor(pilot)
    await pilot.press("enter")
    await wait_for(pilot, lambda: _screen_is("DrillDownScreen")(pilot))


async def _export(pilot: Pilot[Any]) -> None:
    await _supervisor(pilot)
    await pilot.press("ctrl+e")
    await wait_for(pilot, lambda: _screen_is("ExportScreen")(pilot))
    for field in pilot.app.screen.query(Input):  # the test's temporary directory varies
        if field.value.endswith("exports"):
            field.value = "data/exports"
    from textual.widgets import ProgressBar

    for bar in pilot.app.screen.query(ProgressBar):  # idle bars animate: pin them
        bar.update(total=1, progress=0)


SUPERVISOR_VIEWS = {"supervisor": _supervisor, "drilldown": _drilldown, "export": _export}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("view", list(SUPERVISOR_VIEWS))
def test_supervisor_view_snapshot(
    snap_compare: Any, demo_desk: Desk, view: str, size: tuple[int, int]
) -> None:
    demo_desk.login("giamsat", "5678")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        await SUPERVISOR_VIEWS[view](pilot)
        await _settle(pilot)

    assert snap_compare(QuietApp(demo_desk), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_main_with_queue_snapshot(
    snap_compare: Any, demo_desk: Desk, size: tuple[int, int]
) -> None:
    from counter.queue_client import LocalQueue

    demo_desk.login("canbo", "1234")
    demo_desk.clock.now = datetime(2026, 11, 26, 15, 0, tzinfo=VN_TZ)
    queue = LocalQueue.for_config(demo_desk.config, clock=demo_desk.clock)
    for area in ("A", "A", "B"):
        queue.issue(area, channel="kiosk")

    async def run_before(pilot: Pilot[Any]) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        await pilot.press("f6")
        app = pilot.app
        assert isinstance(app, CounterApp)
        await wait_for(pilot, lambda: app.current_ticket() != "", tries=2000)
        await _settle(pilot)

    try:
        assert snap_compare(
            QuietApp(demo_desk, queue=queue), terminal_size=size, run_before=run_before
        )
    finally:
        queue.close()
