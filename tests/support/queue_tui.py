"""Driving the kiosk and the queue panel with Pilot: settle the workers, a person, a scanner."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from screens.kiosk import KEY_SETTLE_SECONDS, KioskApp
from tests.support.clock import SteppedClock


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let every queue worker finish; an exclusive poll may cancel an older one (no error)."""
    for _ in range(500):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


# A person's presses, a moment apart (a scanner types a whole line within milliseconds).
PRESS_GAP = 0.4


def _key_clock(app: KioskApp) -> SteppedClock:
    clock = app.key_clock
    assert isinstance(clock, SteppedClock), "make the kiosk with key_clock=SteppedClock()"
    return clock


def deliver(app: KioskApp, keys: list[tuple[float, str]]) -> None:
    """Keys as the terminal delivers them: each (time on the kiosk's key clock, key)."""
    for at, key in keys:
        event = events.Key(key, "\r" if key == "enter" else key)
        event.time = at
        app.post_message(event)


async def decide(app: KioskApp, pilot: Pilot[Any]) -> None:
    """Let the kiosk take the delivered keys, the key clock move past the settling time, and
    the kiosk decide and issue (no wall-clock wait)."""
    await pilot.pause()
    _key_clock(app).advance(KEY_SETTLE_SECONDS)
    app.settle_keys()
    await settle(app, pilot)
    await pilot.pause()


async def tap(app: KioskApp, pilot: Pilot[Any], *keys: str) -> None:
    """A person pressing kiosk keys one at a time; then the kiosk decides and issues."""
    clock = _key_clock(app)
    for key in keys:
        deliver(app, [(clock(), key)])
        await pilot.pause()
        clock.advance(PRESS_GAP)
    await decide(app, pilot)


async def scan(app: KioskApp, pilot: Pilot[Any], text: str) -> None:
    """A keyboard-wedge scanner: the whole line and Enter in one burst."""
    now = _key_clock(app)()
    deliver(app, [(now, char) for char in text] + [(now, "enter")])
    await decide(app, pilot)
