"""Text fields that cost a repaint per key, not a layout of the whole screen.

Textual's `Input` sets its `virtual_size` (a layout reactive) from its text width on every
change, so each key typed re-laid-out the whole intake form: about two thirds of the CPU an
officer's typing cost. A one-line field's virtual size only decides how far it can scroll
sideways, which Input reads directly; nothing around it moves when its text grows.
`FieldInput` records the new size without the layout pass and repaints itself.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.widgets import Input


class FieldInput(Input):
    """Textual's Input, repainted instead of re-laid-out on each key."""

    def _watch_value(self, value: str) -> None:
        if not self.styles.auto_dimensions:
            # Set the reactive's stored value directly, so that Input's own watcher finds
            # it unchanged and does not ask the screen for a layout pass.
            self._reactive_virtual_size = Size(self.content_width, 1)
            self.refresh()
        super()._watch_value(value)
