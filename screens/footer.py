"""The key-hint footer of every screen, without Textual 8's footer leak.

Textual's `Footer` rebuilds its `FooterKey` widgets whenever the screen's bindings change
(every return to a screen, every focus move that changes the keys). Each key binds
`Footer.compact` with `data_bind`, which stores a watcher on the long-lived footer; Textual
prunes such watchers only when `compact` changes, which never happens. So every rebuild left
the old keys, with their rendered lines, alive for as long as the screen: about half a
megabyte per dossier received on the main screen (Textual issue #6666). `CounterFooter`
drops the watchers of removed keys after each rebuild.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import Footer


def prune_dead_watchers(node: Any) -> int:
    """Drop watchers on `node` whose watching widget has been removed; return how many."""
    watchers: dict[str, list[tuple[Any, Any]]] = getattr(node, "__watchers", {})
    dropped = 0
    for entries in watchers.values():
        alive = [
            (watcher, callback)
            for watcher, callback in entries
            if not getattr(watcher, "_closing", False)
            and not getattr(watcher, "_closed", False)
            and getattr(watcher, "is_attached", True)
        ]
        dropped += len(entries) - len(alive)
        entries[:] = alive
    return dropped


class CounterFooter(Footer):
    """Textual's footer; its removed keys are released after every rebuild."""

    async def recompose(self) -> None:
        await super().recompose()
        prune_dead_watchers(self)
