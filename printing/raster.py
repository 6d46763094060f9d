"""Blocks to a 1-bit image exactly as wide as the paper (576, 512 or 384 dots).

Text is wrapped by measured pixel width, never cut: a word wider than the line is broken
between letters. QR codes keep a 4-module quiet zone and at least 4 dots per module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_L, ERROR_CORRECT_M

from .blocks import QR, Align, Big, Block, Rule, Space, Span, Table, Text
from .fonts import font


@lru_cache(maxsize=8192)
def _glyph(ch: str, f: ImageFont.FreeTypeFont) -> tuple[Image.Image | None, int, int, float]:
    """One character rendered once per face and size: (coverage mask, dx, dy, advance).

    FreeType rendering was most of a receipt's time (one call per run of text); pasting
    cached glyphs is several times faster. Vietnamese text is NFC, so every letter with its
    marks is one precomposed glyph of the font.
    """
    advance = f.getlength(ch)
    x0, y0, x1, y1 = (int(v) for v in f.getbbox(ch, anchor="ls"))
    if x1 <= x0 or y1 <= y0:
        return None, 0, 0, advance
    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
    ImageDraw.Draw(mask).text((-x0, -y0), ch, font=f, fill=255, anchor="ls")
    return mask, x0, y0, advance


@lru_cache(maxsize=65536)
def _kern(a: str, b: str, f: ImageFont.FreeTypeFont) -> float:
    """The font's kerning between two letters (what shaping a whole run would apply)."""
    return f.getlength(a + b) - _glyph(a, f)[3] - _glyph(b, f)[3]


def _positions(text: str, f: ImageFont.FreeTypeFont) -> tuple[list[float], float]:
    """Each character's x offset and the run's total width, kerning included."""
    xs: list[float] = []
    x = 0.0
    for i, ch in enumerate(text):
        xs.append(x)
        x += _glyph(ch, f)[3]
        if i + 1 < len(text):
            x += _kern(ch, text[i + 1], f)
    return xs, x


def text_width(text: str, f: ImageFont.FreeTypeFont) -> float:
    """The width `draw_run` will use."""
    return _positions(text, f)[1]


def draw_run(
    img: Image.Image, x: float, baseline: int, text: str, f: ImageFont.FreeTypeFont
) -> None:
    """Black text on the white strip, glyph by glyph from the cache."""
    xs, _width = _positions(text, f)
    for ch, offset in zip(text, xs, strict=True):
        mask, dx, dy, _advance = _glyph(ch, f)
        if mask is not None:
            img.paste(0, (round(x + offset) + dx, baseline + dy), mask)


PAPER_WIDTHS = (384, 512, 576)
MIN_MODULE = 4
MAX_MODULE = 6
QUIET = 4
THRESHOLD = 150  # anti-aliased grey below this becomes a printed dot: slightly bolder strokes


@dataclass(frozen=True)
class Metrics:
    """Sizes for one paper width, in dots."""

    width: int
    margin: int
    sizes: dict[str, int]

    @property
    def inner(self) -> int:
        return self.width - 2 * self.margin


def metrics(width: int) -> Metrics:
    if width not in PAPER_WIDTHS:
        raise ValueError(f"paper width must be one of {PAPER_WIDTHS} dots, got {width}")
    normal = 20 if width >= 512 else 19
    sizes = {"small": normal - 3, "normal": normal, "large": normal + 5}
    return Metrics(width, width // 48, sizes)


Piece = tuple[str, bool]  # text, bold
Word = list[Piece]
Line = list[tuple[int, str, ImageFont.FreeTypeFont]]  # x, text, font


def _words(spans: Sequence[Span]) -> list[Word]:
    """Split runs into words; a word may change weight mid-way when spans are glued."""
    words: list[Word] = []
    open_word = False  # the previous span ended inside a word
    for span in spans:
        parts = span.text.split(" ")
        for i, part in enumerate(parts):
            if not part:
                continue
            if i == 0 and open_word and words:
                words[-1].append((part, span.bold))
            else:
                words.append([(part, span.bold)])
        open_word = bool(parts[-1])
    return words


def _split_long(text: str, f: ImageFont.FreeTypeFont, limit: int) -> list[str]:
    """Break a word wider than the line between letters, as many letters per piece as fit."""
    out: list[str] = []
    cur = ""
    for ch in text:
        if cur and text_width(cur + ch, f) > limit:
            out.append(cur)
            cur = ch
        else:
            cur += ch
    if cur:
        out.append(cur)
    return out


def wrap(spans: Sequence[Span], size: int, limit: int) -> list[tuple[int, Line]]:
    """Greedy wrap by pixel width; each line comes with its measured width."""
    lines: list[tuple[int, Line]] = []
    line: Line = []
    x = 0

    def flush() -> None:
        nonlocal line, x
        lines.append((x, line))
        line, x = [], 0

    for word in _words(spans):
        pieces = [(t, font(size, b)) for t, b in word]
        width = math.ceil(sum(text_width(t, f) for t, f in pieces))
        space = math.ceil(text_width(" ", pieces[0][1])) if line else 0
        if line and x + space + width > limit:
            flush()
            space = 0
        if width > limit:
            for text, f in pieces:
                for chunk in _split_long(text, f, limit):
                    w = math.ceil(text_width(chunk, f))
                    if line and x + w > limit:
                        flush()
                    line.append((x, chunk, f))
                    x += w
            continue
        x += space
        for i, (text, f) in enumerate(pieces):
            if line and line[-1][2] is f and (i > 0 or space):
                # Same font as the word before: one run, one draw call (drawing word by word
                # cost most of a receipt's render time).
                lx, ltext, _ = line[-1]
                line[-1] = (lx, ltext + ("" if i > 0 else " ") + text, f)
            else:
                line.append((x, text, f))
            x += math.ceil(text_width(text, f))
    if line:
        flush()
    return lines


def line_height(size: int) -> int:
    """Room for stacked Vietnamese marks (Ễ, Ẫ) above the ascent and descenders below."""
    ascent, descent = font(size).getmetrics()
    return ascent + descent + math.ceil(size * 0.22)


def _offset(align: Align, used: int, room: int) -> int:
    if align == "center":
        return max(0, (room - used) // 2)
    if align == "right":
        return max(0, room - used)
    return 0


class Canvas:
    """A growing greyscale strip; converted to 1-bit once everything is drawn."""

    def __init__(self, m: Metrics):
        self.m = m
        self.img = Image.new("L", (m.width, 256), 255)
        self.y = 0

    def need(self, height: int) -> ImageDraw.ImageDraw:
        if self.y + height > self.img.height:
            bigger = Image.new("L", (self.m.width, max(self.y + height, self.img.height * 2)), 255)
            bigger.paste(self.img, (0, 0))
            self.img = bigger
        return ImageDraw.Draw(self.img)

    def text_lines(
        self, lines: list[tuple[int, Line]], size: int, x0: int, room: int, align: Align
    ) -> int:
        lh = line_height(size)
        top = math.ceil(size * 0.22)
        self.need(lh * len(lines))
        for used, line in lines:
            dx = x0 + _offset(align, used, room)
            for x, text, f in line:
                draw_run(self.img, dx + x, self.y + top + f.getmetrics()[0], text, f)
            self.y += lh
        return lh * len(lines)

    def text(self, block: Text) -> None:
        size = self.m.sizes[block.size]
        lines = wrap(block.spans, size, self.m.inner)
        self.text_lines(lines, size, self.m.margin, self.m.inner, block.align)

    def big(self, block: Big) -> None:
        normal = self.m.sizes["normal"]
        size = round(normal * block.scale)
        while size > normal and text_width(block.text, font(size, True)) > self.m.inner:
            size -= 2
        lines = wrap((Span(block.text, True),), size, self.m.inner)
        self.text_lines(lines, size, self.m.margin, self.m.inner, "center")

    def rule(self, block: Rule) -> None:
        lh = self.m.sizes["normal"] // 2
        draw = self.need(lh)
        y = self.y + lh // 2
        x0, x1 = self.m.margin, self.m.width - self.m.margin - 1
        if block.dashed:
            for x in range(x0, x1, 12):
                draw.line([(x, y), (min(x + 6, x1), y)], fill=0, width=2)
        else:
            draw.line([(x0, y), (x1, y)], fill=0, width=2)
        self.y += lh

    def table(self, block: Table) -> None:
        total = sum(c.weight for c in block.columns)
        pad = 4
        widths = [int(self.m.inner * c.weight / total) for c in block.columns]
        widths[-1] = self.m.inner - sum(widths[:-1])
        size = self.m.sizes["small"]
        header = tuple(c.header for c in block.columns)
        for r, row in enumerate((header, *block.rows)):
            cells = [
                wrap((Span(cell, r == 0),), size, w - 2 * pad)
                for cell, w in zip(row, widths, strict=True)
            ]
            height = max(len(c) for c in cells) * line_height(size)
            start, x = self.y, self.m.margin
            for cell, w, col in zip(cells, widths, block.columns, strict=True):
                self.y = start
                self.text_lines(cell, size, x + pad, w - 2 * pad, col.align)
                x += w
            self.y = start + height
            draw = self.need(2)
            self.y += 1
            if r == 0:
                draw.line(
                    [(self.m.margin, self.y), (self.m.width - self.m.margin - 1, self.y)], fill=0
                )
            self.y += 2

    def qr(self, block: QR) -> None:
        img = qr_image(block.data, self.m.inner)
        self.need(img.height)
        self.img.paste(img.convert("L"), ((self.m.width - img.width) // 4 * 2, self.y))
        self.y += img.height
        if block.caption:
            self.text(Text((Span(block.caption),), "center", "small"))

    def space(self, block: Space) -> None:
        h = round(line_height(self.m.sizes["normal"]) * block.lines)
        self.need(h)
        self.y += h


def qr_matrix(data: str, room: int) -> tuple[list[list[bool]], int]:
    """The QR modules and the module size in dots: level M if it fits at 4+ dots, else L."""
    for level in (ERROR_CORRECT_M, ERROR_CORRECT_L):
        code = qrcode.QRCode(error_correction=level, border=0, box_size=1)
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        module = min(room // (len(matrix) + 2 * QUIET), MAX_MODULE)
        module -= module % 2  # even sizes print losslessly at quadruple density
        if module >= MIN_MODULE:
            return matrix, module
    raise ValueError(f"QR data too long for {room} dots at {MIN_MODULE} dots per module")


def qr_image(data: str, room: int) -> Image.Image:
    """A 1-bit QR with its quiet zone, as large as allowed (4 or 6 dots a module)."""
    matrix, module = qr_matrix(data, room)
    side = (len(matrix) + 2 * QUIET) * module
    img = Image.new("1", (side, side), 1)
    draw = ImageDraw.Draw(img)
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                x, y = (c + QUIET) * module, (r + QUIET) * module
                draw.rectangle([x, y, x + module - 1, y + module - 1], fill=0)
    return img


def render(blocks: Sequence[Block], width: int) -> Image.Image:
    """The whole document as a mode "1" image `width` dots wide (black = printed)."""
    canvas = Canvas(metrics(width))
    for block in blocks:
        if isinstance(block, Text):
            canvas.text(block)
        elif isinstance(block, Big):
            canvas.big(block)
        elif isinstance(block, Rule):
            canvas.rule(block)
        elif isinstance(block, Table):
            canvas.table(block)
        elif isinstance(block, QR):
            canvas.qr(block)
        else:
            canvas.space(block)
    canvas.need(1)
    strip = canvas.img.crop((0, 0, width, max(canvas.y, 1)))
    return strip.point(lambda v: 255 if v >= THRESHOLD else 0).convert(
        "1", dither=Image.Dither.NONE
    )
