"""The next intake form is built ahead, off screen (CounterApp.prebuild_intake). Throwing it
away while it is still being built (a logout, a language switch, the app closing) must wait
for the build: removing a half-built form made Textual's Select mount without its children
and the app crash ("No nodes match '#label' on SelectCurrent"), seen once in CI."""

from __future__ import annotations

import asyncio

import pytest

from counter.desk import Desk
from screens.app import CounterApp
from screens.intake import IntakeScreen
from screens.login import LoginScreen
from screens.main import MainScreen
from tests.support.tui import make_app, wait_for


def _app_that_builds_only_when_told(desk: Desk) -> CounterApp:
    app = make_app(desk)
    app.PREBUILD_DELAY_S = 3600  # the list's own build-ahead stays out of the way
    return app


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5, 8, 13])
async def test_logout_while_the_next_form_is_being_built(officer_desk: Desk, turns: int) -> None:
    app = _app_that_builds_only_when_told(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, MainScreen)
        app.prebuild_intake()
        form = app._next_form
        assert isinstance(form, IntakeScreen) and not form.is_mounted
        for _ in range(turns):  # every moment of the build, from its first step on
            await asyncio.sleep(0)
        await app.action_logout()
        await wait_for(pilot, lambda: isinstance(app.screen, LoginScreen))
        await wait_for(pilot, lambda: not form.is_attached)
        assert app._next_form is None


@pytest.mark.parametrize("turns", [0, 1, 2, 3, 5, 8, 13])
async def test_closing_the_app_while_the_next_form_is_being_built(
    officer_desk: Desk, turns: int
) -> None:
    app = _app_that_builds_only_when_told(officer_desk)
    async with app.run_test(size=(80, 24)):
        app.prebuild_intake()
        assert app._next_form is not None
        for _ in range(turns):
            await asyncio.sleep(0)
    # Leaving run_test closes the app: an exception in any widget is raised there.
    assert not app.is_running


@pytest.mark.parametrize("turns", [0, 1, 3, 8])
async def test_f2_while_the_next_form_is_being_built_shows_it_whole(
    officer_desk: Desk, turns: int
) -> None:
    """F2 pressed while the form is still being built takes that form: it shows complete and
    the keys typed after F2 land in its first field."""
    app = _app_that_builds_only_when_told(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        app.prebuild_intake()
        form = app._next_form
        for _ in range(turns):
            await asyncio.sleep(0)
        await pilot.press("f2", *"khai sinh")
        await wait_for(pilot, lambda: app.screen is form)
        assert isinstance(form, IntakeScreen)
        await wait_for(pilot, lambda: form.query_one("#procedure").value == "khai sinh")
        assert form.query("#payment") and form.query("#rep-name")
