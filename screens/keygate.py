"""Keys reach the field they were meant for, in order, even while the screen changes.

A terminal hands over a burst of keys (a fast typist, a scanner, a remote terminal, a password
manager) in one read, and Textual queues them all at once. A key that opens a screen or moves
the focus acts through later messages: the new screen mounts in its own task, and `focus()`
is a callback queued *behind* the keys already waiting. So the keys after it landed in the old
field or nowhere ("khai sinh" typed right after F2 became "ai sinh"), and a burst ending in
Ctrl+S could save before the fields were filled.

The gate lets one key through, then holds the following ones until everything that key set in
motion has settled (no message is being handled anywhere, the queues of the app and of every
widget of the current screen are drained, the screen is mounted and has its focus), and then
lets the next one through. Textual's queues do not say whether a message is being handled, so
the gate counts the messages in hand itself (`_count_handling`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from time import monotonic
from typing import Any

from textual import events
from textual.app import App
from textual.message_pump import MessagePump

# After this long a held key goes through even if something is still busy (a handler that never
# ends): late is better than lost. Opening a screen takes well under this on a loaded PC (half a
# second was seen on a shared machine), so a key never lands before its screen is ready.
SETTLE_LIMIT_S = 3.0


# "Settled" must hold on this many checks in a row, each a turn of the event loop.
CALM_CHECKS = 2

_handling = 0  # messages being handled right now, in every message pump of the process


def _count_handling() -> None:
    """Wrap Textual's dispatch once so the gate knows whether any message is in hand."""
    original = MessagePump._dispatch_message
    if getattr(original, "_counted", False):
        return

    async def counted(self: MessagePump, message: Any) -> None:
        global _handling
        _handling += 1
        try:
            await original(self, message)
        finally:
            _handling -= 1

    counted._counted = True  # type: ignore[attr-defined]
    MessagePump._dispatch_message = counted  # type: ignore[method-assign]


def _busy(pump: MessagePump) -> bool:
    queue = vars(pump).get("_message_queue")  # created lazily: absent means never used
    return (queue is not None and not queue.empty()) or bool(pump._next_callbacks)


class KeyGate:
    """One key at a time: the next key waits until the app has settled after the last one."""

    def __init__(self, app: App[Any], deliver: Callable[[events.Key], Awaitable[None]]) -> None:
        _count_handling()
        self.app = app
        self.deliver = deliver
        self.held: deque[events.Key] = deque()
        self.closed = False
        self._settling: asyncio.Task[None] | None = None

    def hold(self, event: events.Key) -> bool:
        """True when `event` must wait (it is kept and delivered later, in order)."""
        if self.closed or self.held:
            self.held.append(event)
            return True
        return False

    @property
    def open(self) -> bool:
        """No key is held, being settled or queued for the app: the app is the officer's."""
        return not self.closed and not self.held and not _busy(self.app)

    def close(self) -> None:
        """A key was just delivered: hold the next ones until its effects have settled."""
        self.closed = True
        if self._settling is None or self._settling.done():
            self._settling = asyncio.create_task(self._settle())

    def settled(self) -> bool:
        app = self.app
        if _handling or _busy(app):
            return False
        try:
            screen = app.screen
        except Exception:  # no screen yet (starting) or any more (closing)
            return True
        if not screen.is_mounted or _busy(screen):
            return False
        if any(_busy(widget) for widget in screen.walk_children()):
            return False
        # A screen that can take the focus has not finished opening until something has it.
        return screen.focused is not None or not screen.focus_chain

    async def _settle(self) -> None:
        deadline = monotonic() + SETTLE_LIMIT_S
        calm = 0
        while calm < CALM_CHECKS and monotonic() < deadline:
            await asyncio.sleep(0 if calm else 0.0005)
            calm = calm + 1 if self.settled() else 0
        if not self.app.call_later(self._release):  # the app is closing
            self.closed = False
            self.held.clear()

    async def _release(self) -> None:
        """Runs in the app's own task: deliver the next held key, or open the gate."""
        self.closed = False
        if self.held:
            event = self.held.popleft()
            await self.deliver(event)
            self.close()
