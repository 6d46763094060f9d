"""Every key hint of the officer's screens fits at 80×24 and at 120 columns.

A footer wider than the terminal silently drops its last keys (F10, F11 and F1 were lost at 80
columns, "i In lại" at 120), so each screen's footer keys must lie inside the screen.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from counter.desk import Desk
from counter.queue_client import LocalQueue
from screens.app import CounterApp
from screens.main import MainScreen
from tests.support.tui import receive, wait_for


async def _main(pilot: Pilot[Any]) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))


async def _intake(pilot: Pilot[Any]) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "IntakeScreen")


async def _dossier(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, CounterApp)
    await app.open_dossier(app.desk.today().dossiers[0])
    await wait_for(pilot, lambda: type(app.screen).__name__ == "DossierScreen")


async def _search(pilot: Pilot[Any]) -> None:
    await pilot.press("ctrl+f")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "SearchScreen")


async def _status(pilot: Pilot[Any]) -> None:
    await pilot.press("f3")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "SystemStatusScreen")


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("view", [_main, _intake, _dossier, _search, _status])
async def test_footer_keys_fit(officer_desk: Desk, view: Any, width: int) -> None:
    receive(officer_desk)
    queue = LocalQueue.for_config(officer_desk.config, clock=officer_desk.clock)
    try:
        app = CounterApp(officer_desk, queue=queue)
        async with app.run_test(size=(width, 24)) as pilot:
            await _main(pilot)
            await view(pilot)
            await pilot.pause()
            await pilot.pause()
            keys = list(app.screen.query(FooterKey))
            assert keys, "no footer"
            cut = [
                f"{k.key_display} {k.description}"
                for k in keys
                if k.region.right > width or k.region.width == 0
            ]
            assert not cut, f"cut off at {width} columns: {cut}"
    finally:
        queue.close()
