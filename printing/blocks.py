"""Width-independent layout blocks: what to print, not where each dot goes.

Both the raster renderer and the text-mode writer consume these, so a document is laid out
once in correct Vietnamese and then fitted to 576, 512 or 384 dots (or 48/42/32 columns).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


Align = Literal["left", "center", "right"]
Size = Literal["small", "normal", "large"]


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False

    def __post_init__(self) -> None:
        # The last gate before ink: the raster draws one glyph per code point, so decomposed
        # text ("phuờng" from some input methods) would print its tone marks apart.
        object.__setattr__(self, "text", _nfc(self.text))


@dataclass(frozen=True)
class Text:
    """A paragraph of runs, wrapped to the paper width."""

    spans: tuple[Span, ...]
    align: Align = "left"
    size: Size = "normal"


@dataclass(frozen=True)
class Big:
    """One short line printed as large as the paper allows (a ticket number, a dossier code)."""

    text: str
    scale: float = 3.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", _nfc(self.text))


@dataclass(frozen=True)
class Column:
    header: str
    weight: float
    align: Align = "left"

    def __post_init__(self) -> None:
        object.__setattr__(self, "header", _nfc(self.header))


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]

    def __post_init__(self) -> None:
        rows = tuple(tuple(_nfc(cell) for cell in row) for row in self.rows)
        object.__setattr__(self, "rows", rows)


@dataclass(frozen=True)
class QR:
    data: str  # sent as is: a URL or a VietQR payload must stay byte for byte
    caption: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "caption", _nfc(self.caption))


@dataclass(frozen=True)
class Rule:
    dashed: bool = False


@dataclass(frozen=True)
class Space:
    lines: float = 0.5


Block = Text | Big | Table | QR | Rule | Space


def para(text: str, *, bold: bool = False, align: Align = "left", size: Size = "normal") -> Text:
    return Text((Span(text, bold),), align, size)


def kv(key: str, value: str, *, bold_value: bool = False) -> Text:
    """'Key: value' with the key in bold, as the paper forms set it."""
    return Text((Span(f"{key}: ", True), Span(value, bold_value)))
