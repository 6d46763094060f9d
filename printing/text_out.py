"""Text-mode jobs: the printer's own font, Vietnamese via TCVN-3 or folded to ASCII.

Only for printers that are known to print it right; anything else uses raster. QR codes are
native (`GS ( k`) when the printer opts in, otherwise images.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from counter.config import PrinterConfig
from counter.text import ascii_fold

from . import tcvn3
from .blocks import QR, Align, Big, Block, Rule, Space, Span, Table, Text
from .errors import PrinterConfigError
from .escpos_lib import Dummy, get_profile
from .escpos_out import INIT, add_image, dummy, finish
from .raster import _words, qr_image

COLUMNS = {576: 48, 512: 42, 384: 32}  # font A, 12 dots a character
_ALIGN = {"left": 0, "center": 1, "right": 2}
QR_MODULE = 6


def tcvn3_pages(profile: str) -> dict[str, int]:
    """ESC t slots of the two TCVN-3 pages, or a clear refusal if the profile lacks them."""
    pages = get_profile(profile).get_code_pages()
    if tcvn3.LOWER_PAGE in pages and tcvn3.UPPER_PAGE in pages:
        return {p: int(pages[p]) for p in (tcvn3.LOWER_PAGE, tcvn3.UPPER_PAGE)}
    raise PrinterConfigError(
        f'máy in {profile} không hỗ trợ tiếng Việt ở chế độ chữ; dùng mode = "raster"',
        f'printer profile {profile} has no TCVN-3 code pages; use mode = "raster"',
    )


class TextWriter:
    """Appends blocks to a Dummy in the printer's font, tracking bold and code page."""

    def __init__(self, p: Dummy, printer: PrinterConfig):
        self.p = p
        self.printer = printer
        self.cols = COLUMNS[printer.paper_width_dots]
        self.vietnamese = printer.mode == "text-tcvn3"
        self.pages = tcvn3_pages(printer.profile) if self.vietnamese else {}
        self.page = ""

    def raw(self, data: bytes) -> None:
        self.p._raw(data)

    def put(self, text: str) -> None:
        if not self.vietnamese:
            self.raw(tcvn3.prepare(ascii_fold(text), vietnamese=False).encode("ascii"))
            return
        for page, data in tcvn3.encode(text, self.page or tcvn3.LOWER_PAGE):
            if page != self.page:
                self.raw(b"\x1bt" + bytes([self.pages[page]]))
                self.page = page
            self.raw(data)

    def lines(self, spans: Sequence[Span], align: Align, cols: int) -> None:
        self.raw(b"\x1ba" + bytes([_ALIGN[align]]))
        line: list[tuple[str, bool]] = []
        used = 0
        out: list[list[tuple[str, bool]]] = []
        for word in _words(spans):
            text = "".join(t for t, _ in word)
            while len(text) > cols:  # a word longer than the line: hard break
                if line:
                    out.append(line)
                out.append([(text[:cols], word[0][1])])
                line, used, text = [], 0, text[cols:]
                word = [(text, word[-1][1])]
            if line and used + 1 + len(text) > cols:
                out.append(line)
                line, used = [], 0
            if line:
                line.append((" ", False))
                used += 1
            line.extend(word)
            used += len(text)
        if line:
            out.append(line)
        for pieces in out:
            bold = False
            for text, want in pieces:
                if text != " " and want != bold:
                    self.raw(b"\x1bE\x01" if want else b"\x1bE\x00")
                    bold = want
                self.put(text)
            self.raw(b"\x1bE\x00\n" if bold else b"\n")

    def text(self, block: Text) -> None:
        if block.size == "large":
            self.raw(b"\x1d!\x11")
            self.lines(block.spans, block.align, self.cols // 2)
            self.raw(b"\x1d!\x00")
        else:
            self.lines(block.spans, block.align, self.cols)

    def big(self, block: Big) -> None:
        scale = (
            3 if len(block.text) * 3 <= self.cols else 2 if len(block.text) * 2 <= self.cols else 1
        )
        self.raw(b"\x1d!" + bytes([(scale - 1) * 0x11]))
        self.lines((Span(block.text, True),), "center", self.cols // scale)
        self.raw(b"\x1d!\x00")

    def table(self, block: Table) -> None:
        for row in block.rows:
            first, name, *rest = row
            self.lines((Span(f"{first}. {name}"),), "left", self.cols)
            if rest:
                self.lines((Span("   " + " - SL: ".join(rest)),), "left", self.cols)

    def qr(self, block: QR) -> None:
        if self.printer.native_qr:
            if not get_profile(self.printer.profile).supports("qrCode"):
                raise PrinterConfigError(
                    f"máy in {self.printer.profile} không in được mã QR gốc; đặt native_qr = false",
                    f"profile {self.printer.profile} has no native QR; set native_qr = false",
                )
            self.raw(b"\x1ba\x01")
            self.p.qr(block.data, size=QR_MODULE, native=True)
            self.raw(b"\x1ba\x00")
        else:
            width = self.printer.paper_width_dots
            img = qr_image(block.data, width - 2 * (width // 48))
            line = Image.new("1", (width, img.height), 1)
            line.paste(img, ((width - img.width) // 4 * 2, 0))
            add_image(self.p, line)
        if block.caption:
            self.lines((Span(block.caption),), "center", self.cols)

    def block(self, block: Block) -> None:
        if isinstance(block, Text):
            self.text(block)
        elif isinstance(block, Big):
            self.big(block)
        elif isinstance(block, Table):
            self.table(block)
        elif isinstance(block, QR):
            self.qr(block)
        elif isinstance(block, Rule):
            self.raw(
                b"\x1ba\x00"
                + (b"- " * (self.cols // 2) if block.dashed else b"-" * self.cols)
                + b"\n"
            )
        elif isinstance(block, Space):
            self.raw(b"\n")


def text_job(blocks: Sequence[Block], printer: PrinterConfig, *, cut: bool = True) -> bytes:
    """A whole job in text mode (`text-tcvn3` or `text-ascii`)."""
    p = dummy(printer.profile, printer.paper_width_dots)
    writer = TextWriter(p, printer)
    writer.raw(INIT)
    for block in blocks:
        writer.block(block)
    finish(p, cut)
    return bytes(p.output)
