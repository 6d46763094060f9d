"""The 134 Vietnamese letters outside ASCII (67 lower-case, 67 upper-case), built from rules.

Tests and the test page use these to prove every letter survives each output path.
"""

from __future__ import annotations

import unicodedata

_VOWELS = "aăâeêioôơuưy"
_TONES = ("", "\u0300", "\u0309", "\u0303", "\u0301", "\u0323")  # ngang huyền hỏi ngã sắc nặng


def _lower() -> tuple[str, ...]:
    out = [unicodedata.normalize("NFC", v + t) for v in _VOWELS for t in _TONES]
    out.append("đ")
    return tuple(ch for ch in out if not ch.isascii())


LOWER: tuple[str, ...] = _lower()
UPPER: tuple[str, ...] = tuple(ch.upper() for ch in LOWER)
ALL: tuple[str, ...] = LOWER + UPPER

assert len(LOWER) == 67 and len(set(ALL)) == 134 and all(len(c) == 1 for c in ALL)
