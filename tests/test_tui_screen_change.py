"""Showing the next intake form does only what cannot be done ahead (#11: F2 or Enter on the
"received" dialog → ready for input, p95 ≤ 50 ms; the figure is bench/bench_officer.py's).

Each test holds one kind of work out of the screen change, whatever the machine's speed: the
layout of the form (done off screen while it waits), the teardown of the screens the officer
leaves (done between citizens), and Python's full garbage collection (done between citizens,
never while a key waits)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.screen import Screen

from counter.desk import Desk
from screens.app import CounterApp
from screens.collector import FULL_AFTER, QuietCollector
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.modals import ReceivedModal
from tests.support.tui import make_app, stop_idle_clock, wait_for


def _built_ahead(app: CounterApp) -> bool:
    form = app._next_form
    return form is not None and form.is_mounted and not form._layout_required


def _counting_layouts(screen: Screen[Any]) -> list[int]:
    """Count the reflows of `screen` from now on (its own `_refresh_layout`)."""
    calls: list[int] = []
    original = screen._refresh_layout

    def counted(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        original(*args, **kwargs)

    screen._refresh_layout = counted  # type: ignore[method-assign]
    return calls


async def _save_one(pilot: Pilot[Any], app: CounterApp, name: str) -> None:
    await pilot.press(*"khai sinh", "enter", *name, "tab", *"001090012345", "ctrl+s")
    await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))


def _ready(app: CounterApp, form: Screen[Any]) -> bool:
    focused = app.focused
    return app.screen is form and focused is not None and focused.id == "procedure"


async def test_f2_shows_a_form_already_laid_out(officer_desk: Desk) -> None:
    """Off screen, Textual keeps a screen's layout requests for its show; the form built
    ahead settles after its first layout (selects, footer), so it lays itself out again
    while it waits and F2 shows it without a reflow of its hundred widgets."""
    app = make_app(officer_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _built_ahead(app), tries=4000)
        form = app._next_form
        assert form is not None
        layouts = _counting_layouts(form)
        await pilot.press("f2")
        await wait_for(pilot, lambda: _ready(app, form))
        await pilot.pause()  # drawn
        assert layouts == []


async def test_enter_next_citizen_leaves_the_old_screens_for_later(officer_desk: Desk) -> None:
    """Enter on the "received" dialog shows the fresh form without tearing down the saved
    form and the dialog in the same turn (a removed screen also relays out the app: a reflow
    and a second drawing of the new form); they go between citizens, and never pile up.

    The idle clock stands still until the end: five idle seconds are a moment too (the last
    citizen's screens go then), and a loaded CI machine once took that long between two keys
    of this test, removing them before it looked."""
    app = make_app(officer_desk)
    now = stop_idle_clock(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: _built_ahead(app), tries=4000)
        await pilot.press("f2")
        left: list[Screen[Any]] = []
        for n in range(6):
            old = app.screen
            assert isinstance(old, IntakeScreen)
            await _save_one(pilot, app, f"Nguyen Van {'ABCDEF'[n]}")
            dialog = app.screen
            await wait_for(pilot, lambda: _built_ahead(app), tries=4000)
            form = app._next_form
            assert form is not None
            layouts = _counting_layouts(form)
            await pilot.press("enter")
            await wait_for(pilot, lambda f=form: _ready(app, f))  # type: ignore[misc]
            assert layouts == []
            assert app.is_screen_installed(old) and app.is_screen_installed(dialog)
            assert not old._closed and not dialog._closed  # left for the next moment
            left += [old, dialog]
        # Six citizens later, the screens of every citizen but the last have been removed;
        # the last one's wait for the next moment.
        await wait_for(pilot, lambda: all(s._closed for s in left[:-2]), tries=4000)
        assert app._retired == [f"retired-{id(s)}" for s in left[-1:-3:-1]]
        assert not any(s._closed for s in left[-2:])
        assert officer_desk.today().total == 6
        # Five seconds with no key: the officer has a moment, the last citizen's go too.
        app._collect_if_idle()
        assert app._retired != []  # not yet idle long enough
        now[0] += CounterApp.COLLECT_IDLE_S
        app._collect_if_idle()
        assert app._retired == []
        await wait_for(pilot, lambda: all(s._closed for s in left), tries=4000)


def _ran(collector: QuietCollector, count: int) -> bool:
    return collector.collections == count


async def _due_with_no_moment_pending(pilot: Pilot[Any], collector: QuietCollector) -> None:
    """Make a full collection due (Python would run one now) once the app has taken the
    moments the last screen change left it: the list's or the dialog's build timer, the form
    built ahead settling. Taking one then is right, nobody waits, but on a loaded machine it
    came during the test's key press and looked like one inside the screen change."""
    for _ in range(50):
        for _ in range(FULL_AFTER):
            gc.collect(1)
        before = collector.collections
        await pilot.pause(2 * CounterApp.PREBUILD_DELAY_S)  # wall time: due timers fire
        if collector.collections == before and collector.due():
            return
    raise AssertionError("the app kept taking moments between citizens")


@pytest.fixture
def quiet_collector() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    assert gc.get_threshold() == before  # the app put Python's schedule back
    assert gc.get_freeze_count() == 0


async def test_no_full_collection_inside_a_screen_change(
    officer_desk: Desk, quiet_collector: None
) -> None:
    """With a full collection due (what made F2 take 250-550 ms now and then), F2 and Enter
    show the form without one; it runs once the next form is built and no key waits."""
    app = CounterApp(officer_desk, quiet_gc=True)
    stop_idle_clock(app)  # the moments are the ones this test makes
    full: list[str] = []

    def watch(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(type(app.screen).__name__ if app.screen_stack else "")

    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _built_ahead(app), tries=4000)
        collector = app.collector
        assert collector is not None and collector.running
        assert gc.get_freeze_count() > 0  # start-up's objects, frozen before any form
        gc.callbacks.append(watch)
        try:
            for key in ("f2", "enter"):
                await _due_with_no_moment_pending(pilot, collector)
                full.clear()  # any taken before the key were right: nobody waited
                before = collector.collections
                form = app._next_form
                assert form is not None
                await pilot.press(key)
                await wait_for(pilot, lambda f=form: _ready(app, f))  # type: ignore[misc]
                assert full == [], full  # none while the form opened
                assert collector.collections == before
                await _save_one(pilot, app, "Tran Thi Lan")
                # The dialog is up and the next form built: the moment for it.
                await wait_for(pilot, partial(_ran, collector, before + 1), tries=4000)
                assert full and set(full) == {"ReceivedModal"}, full
                full.clear()
        finally:
            gc.callbacks.remove(watch)


async def test_a_full_collection_never_runs_while_a_key_waits(
    officer_desk: Desk, quiet_collector: None
) -> None:
    app = CounterApp(officer_desk, quiet_gc=True)
    stop_idle_clock(app)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: _built_ahead(app), tries=4000)
        collector = app.collector
        assert collector is not None
        for _ in range(FULL_AFTER):
            gc.collect(1)
        app._key_gate.closed = True  # a key was just delivered, its effects settling
        app.between_citizens()
        assert collector.due() and collector.collections == 0
        app._key_gate.closed = False
        app.post_message(events.Key("f2", None))  # pressed, not yet handed to the app
        app.between_citizens()
        assert collector.due() and collector.collections == 0
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await wait_for(pilot, lambda: app._key_gate.open)
        app.between_citizens()
        assert not collector.due() and collector.collections == 1


def test_collector_schedule_is_put_back() -> None:
    before = gc.get_threshold()
    collector = QuietCollector()
    collector.start()
    try:
        assert gc.get_threshold()[2] > before[2]  # Python's own full collection: a backstop
        assert gc.get_freeze_count() > 0
        assert not collector.collect_if_due() or collector.collections == 1
    finally:
        collector.stop()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
    assert not collector.due()
