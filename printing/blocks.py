"""Width-independent layout blocks: what to print, not where each dot goes.

Both the raster renderer and the text-mode writer consume these, so a document is laid out
once in correct Vietnamese and then fitted to 576, 512 or 384 dots (or 48/42/32 columns).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]
Size = Literal["small", "normal", "large"]


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False


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


@dataclass(frozen=True)
class Column:
    header: str
    weight: float
    align: Align = "left"


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class QR:
    data: str
    caption: str = ""


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
