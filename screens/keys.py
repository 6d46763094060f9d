"""Every key binding of the app, by id, so `[keys]` in config.toml can remap any of them.

`KEYS` is the table the README documents: id → (default keys, Vietnamese, English). Screens
build their `BINDINGS` through `bind()`, and `translate_bindings()` swaps the descriptions to
the app's language when a screen is created. No printable key changes a dossier or prints:
lifecycle actions and reprints sit in the dossier's action menu (Ctrl+X), whose letters only
work once it is open, so text typed into the wrong place or a scanner's burst never acts.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding
from textual.dom import DOMNode

from counter.i18n import pick
from counter.keymap import KEYS

__all__ = ["KEYS", "bind", "description", "keymap_table", "translate_bindings"]


def bind(
    binding_id: str,
    action: str,
    *,
    show: bool = True,
    priority: bool = False,
    key_display: str | None = None,
) -> Binding:
    """A Binding with its id and its default keys from `KEYS`."""
    keys, vi, _en = KEYS[binding_id]
    return Binding(
        keys, action, vi, show=show, priority=priority, id=binding_id, key_display=key_display
    )


def key_label(key: str) -> str:
    """A key as people write it: "ctrl+x" → "Ctrl+X", "f6" → "F6"."""
    return "+".join(
        part.upper() if len(part) <= 3 else part.capitalize() for part in key.split("+")
    )


def description(binding_id: str | None, lang: str, fallback: str) -> str:
    if binding_id is None or binding_id not in KEYS:
        return fallback
    _keys, vi, en = KEYS[binding_id]
    return pick((vi, en), lang)


def translate_bindings(node: DOMNode, lang: str) -> None:
    """Give this node's bindings the descriptions of `lang` (Binding is frozen: replace it)."""
    mapping = node._bindings.key_to_bindings
    for key, bindings in list(mapping.items()):
        mapping[key] = [
            replace(b, description=description(b.id, lang, b.description)) if b.id else b
            for b in bindings
        ]


def keymap_table() -> str:
    """The Markdown table of binding ids for the README."""
    lines = ["| id | phím mặc định / default keys | mô tả | description |", "|---|---|---|---|"]
    for binding_id, (keys, vi, en) in KEYS.items():
        lines.append(f"| `{binding_id}` | `{keys}` | {vi} | {en} |")
    return "\n".join(lines)
