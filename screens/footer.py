"""The key-hint footer of every screen, without Textual 8's footer leak.

Textual's `Footer` rebuilds its `FooterKey` widgets whenever the screen's bindings change
(every return to a screen, every focus move that changes the keys). Each key binds
`Footer.compact` with `data_bind`, which stores a watcher on the long-lived footer; Textual
prunes such watchers only when `compact` changes, which never happens. So every rebuild left
the old keys, with their rendered lines, alive for as long as the screen: about half a
megabyte per dossier received on the main screen (Textual issue #6666). `CounterFooter`
drops the watchers of removed keys after each rebuild.

It also skips a rebuild that would show the same keys: moving between the intake form's
fields changes the focused widget's bindings but not the hints the footer shows, and each
rebuild mounts a dozen widgets (most of the CPU of a Tab).
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
    """Textual's footer; rebuilt only when its keys change, and leak-free."""

    _shown: tuple[Any, ...] | None = None

    def _signature(self) -> tuple[Any, ...]:
        """What `Footer.compose` would draw: the shown bindings, their state, the style."""
        shown = tuple(
            (
                binding.key,
                self.app.get_key_display(binding),
                binding.action,
                binding.description,
                binding.group,
                enabled,
                tooltip,
            )
            for (_node, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )
        return (shown, self.compact, self.show_command_palette, self._bindings_ready)

    async def recompose(self) -> None:
        if not self.is_attached:
            return
        signature = self._signature()
        if signature == self._shown and self.children:
            return
        self._shown = signature
        await super().recompose()
        prune_dead_watchers(self)
