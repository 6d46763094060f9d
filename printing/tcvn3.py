"""TCVN-3 (ABC) for Epson-class printers: lower-case on page TCVN-3-1, upper-case on TCVN-3-2.

Python has no codec for it. The tables follow escpos-printer-db (bytes 0x80–0xFF) with one
fix: the database puts "Ð" (U+00D0, Icelandic eth) where "Đ" (U+0110) belongs, which would
print "?" for every Đ. ASCII is the same on both pages, so the page only changes when a
Vietnamese letter needs the other one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from counter.text import ascii_fold

_LOWER_HIGH = (
    " " * 40
    + "ăâêôơưđ      àảãáạ ằẳẵắ       ặầẩẫấậè ẻẽéẹềểễếệìỉ   ĩíịò ỏõóọồổỗốộờởỡớợù ủũúụừửữứựỳỷỹýỵ "
)
_UPPER_HIGH = (
    " " * 33
    + "ĂÂ    Đ  ÊÔƠƯ       ÀẢÃÁẠ ẰẲẴẮ       ẶẦẨẪẤẬÈ ẺẼÉẸỀỂỄẾỆÌỈ   ĨÍỊÒ ỎÕÓỌỒỔỖỐỘỜỞỠỚỢÙ ỦŨÚỤỪỬỮỨỰỲỶỸÝỴ "
)
LOWER_PAGE = "TCVN-3-1"
UPPER_PAGE = "TCVN-3-2"


def _table(high: str) -> dict[str, int]:
    assert len(high) == 128
    return {ch: 0x80 + i for i, ch in enumerate(high) if ch != " "}


ENCODE: dict[str, dict[str, int]] = {
    LOWER_PAGE: _table(_LOWER_HIGH),
    UPPER_PAGE: _table(_UPPER_HIGH),
}
DECODE: dict[str, dict[int, str]] = {
    page: {b: ch for ch, b in table.items()} for page, table in ENCODE.items()
}

# Typography that input methods and the catalogue bring in, spelled with ASCII.
PUNCTUATION = {
    "–": "-",
    "—": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "…": "...",
    "·": ".",
    "•": "*",
    "\u00a0": " ",
    "₫": "d",
    "№": "No",
}


class UnencodableText(ValueError):
    """Characters the printer's text mode cannot print; the caller falls back to raster."""

    def __init__(self, chars: str):
        super().__init__(f"cannot print in text mode: {chars!r}")
        self.chars = chars


def prepare(text: str, *, vietnamese: bool) -> str:
    """NFC, ASCII punctuation, foreign accents folded; raise for anything still unprintable."""
    out: list[str] = []
    bad: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        ch = PUNCTUATION.get(ch, ch)
        if ch.isascii() or (vietnamese and any(ch in t for t in ENCODE.values())):
            out.append(ch)
            continue
        folded = ascii_fold(ch)
        if folded.isascii() and folded:
            out.append(folded)
        else:
            bad.append(ch)
    if bad:
        raise UnencodableText("".join(bad))
    return "".join(out)


def encode(text: str, page: str = LOWER_PAGE) -> list[tuple[str, bytes]]:
    """Split `text` into (page, bytes) runs, starting on `page`; ASCII stays on any page."""
    runs: list[tuple[str, bytearray]] = [(page, bytearray())]
    for ch in prepare(text, vietnamese=True):
        if ch.isascii():
            runs[-1][1].append(ord(ch))
            continue
        need = LOWER_PAGE if ch in ENCODE[LOWER_PAGE] else UPPER_PAGE
        if need != runs[-1][0]:
            runs.append((need, bytearray()))
        runs[-1][1].append(ENCODE[need][ch])
    return [(p, bytes(b)) for p, b in runs if b]


def decode(runs: Iterable[tuple[str, bytes]]) -> str:
    """The inverse of `encode` (for tests and the decoder)."""
    return "".join(chr(b) if b < 0x80 else DECODE[page][b] for page, data in runs for b in data)
