"""Driving the kiosk and the queue panel with Pilot: settle the workers, a person, a scanner."""

from __future__ import annotations

import contextlib
from typing import Any

from textual import events
from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def settle(app: App[Any], pilot: Pilot[Any]) -> None:
    """Let every queue worker finish; an exclusive poll may cancel an older one (no error)."""
    for _ in range(500):
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            return


async def tap(app: App[Any], pilot: Pilot[Any], *keys: str) -> None:
    """A person pressing kiosk keys one at a time; then the kiosk decides and issues."""
    for key in keys:
        await pilot.press(key)
        await pilot.pause(0.1)
    await pilot.pause(0.25)
    await settle(app, pilot)
    await pilot.pause()


async def scan(app: App[Any], pilot: Pilot[Any], text: str) -> None:
    """A keyboard-wedge scanner: the whole line and Enter in one burst."""
    for char in text:
        app.post_message(events.Key(char, char))
    app.post_message(events.Key("enter", "\r"))
    await pilot.pause(0.35)
