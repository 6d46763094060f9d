"""Masking personal data for what others may see (the portal page, the kiosk, the receipt's
lookup): an ID number's middle hidden, a name reduced to the family name and initials.
Its own home because it is about showing, not about checking what was typed."""

from __future__ import annotations

import re

from counter.text import nfc

_SEPARATORS = re.compile(r"[\s.]+")


def mask_id(number: str) -> str:
    """Hide the middle of an identification number: "001090012345" → "0010******45".

    Only the first 4 and last 2 characters are ever shown; short values are hidden entirely.
    """
    compact = _SEPARATORS.sub("", nfc(number))
    if len(compact) <= 6:
        return "*" * len(compact)
    return compact[:4] + "*" * (len(compact) - 6) + compact[-2:]


def _initial(word: str) -> str:
    first = word[0].upper()
    return (first if len(first) == 1 else word[0]) + "."


def mask_name(name: str) -> str:
    """Family name kept, the other words as initials: "Nguyễn Văn An" → "Nguyễn V. A."."""
    words = nfc(name).split(" ")
    if not words[0]:
        return ""
    return " ".join([words[0], *(_initial(w) for w in words[1:])])
