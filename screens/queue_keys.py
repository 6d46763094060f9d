"""The queue keys (F6–F11) on any screen of the officer's day, not only where the panel is.

The queue panel docks on the main screen; a screen on top of it (a dossier) puts the same
bindings on itself and forwards them here to the panel found anywhere in the screen stack.
"""

from __future__ import annotations

from typing import Any

from screens.queue_panel import QueuePanel


class QueueKeys:
    """Mixin for a CounterScreen: `action_queue_*` forwarded to the app's queue panel."""

    app: Any

    def _panel(self) -> QueuePanel | None:
        for screen in reversed(self.app.screen_stack):
            found = screen.query(QueuePanel)
            if found:
                return found.first()  # type: ignore[no-any-return]
        return None

    def queue_action_allowed(self, action: str) -> bool | None:
        """For check_action: queue keys only when there is a queue."""
        if action.startswith("queue_"):
            return self._panel() is not None
        return True

    def action_queue_call_next(self) -> None:
        if panel := self._panel():
            panel.action_queue_call_next()

    def action_queue_recall(self) -> None:
        if panel := self._panel():
            panel.action_queue_recall()

    def action_queue_no_show(self) -> None:
        if panel := self._panel():
            panel.action_queue_no_show()

    def action_queue_hold(self) -> None:
        if panel := self._panel():
            panel.action_queue_hold()

    def action_queue_transfer(self) -> None:
        if panel := self._panel():
            panel.action_queue_transfer()

    def action_queue_finish(self) -> None:
        if panel := self._panel():
            panel.action_queue_finish()

    def action_queue_call_number(self) -> None:
        if panel := self._panel():
            panel.action_queue_call_number()
