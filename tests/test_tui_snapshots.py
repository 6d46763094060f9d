"""Snapshots of the main screens at 80×24 and 120×40 (frozen clock, no cursor blink)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from counter.demo import seed_demo
from counter.desk import Desk
from counter.timeutil import VN_TZ
from screens.app import CounterApp
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.main import MainScreen
from tests.conftest import FrozenClock, make_config
from tests.test_tui_support import CONTRACT, wait_for

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def demo_desk(tmp_path: Path) -> Iterator[Desk]:
    config = make_config(tmp_path, counter={"demo_data": True})
    # Late afternoon, so today's list has a day's worth of demo dossiers.
    desk = Desk.open(config, clock=FrozenClock(datetime(2026, 11, 26, 16, 0, tzinfo=VN_TZ)))
    seed_demo(desk)
    yield desk
    desk.close()


def _no_blink(app: CounterApp) -> None:
    for field in app.screen.query(Input):
        field.cursor_blink = False


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
