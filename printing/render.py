"""The one entry point: a document and a printer's settings in, printer bytes out."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image

from counter.config import PrinterConfig

from .blocks import QR, Block, para
from .documents import Document
from .errors import PrinterConfigError
from .escpos_lib import Dummy
from .escpos_out import INIT, add_image, check_width, dummy, finish, raster_job
from .layout import layout
from .raster import render
from .tcvn3 import UnencodableText
from .text_out import TextWriter, tcvn3_pages, text_job

MODES = ("raster", "text-tcvn3", "text-ascii")


@dataclass(frozen=True)
class RenderedJob:
    """The bytes to send, and the picture of them (None for text mode)."""

    data: bytes
    image: Image.Image | None
    mode: str  # what was actually used: a text job with unprintable characters becomes raster


def _raster_native_qr(blocks: list[Block], printer: PrinterConfig) -> bytes:
    """Raster text with `GS ( k` QR codes in between (the printer draws the QR)."""
    p: Dummy = dummy(printer.profile, printer.paper_width_dots)
    p._raw(INIT)
    writer = TextWriter(p, printer)
    chunk: list[Block] = []
    for block in [*blocks, None]:
        if block is None or isinstance(block, QR):
            if chunk:
                add_image(p, render(chunk, printer.paper_width_dots))
                chunk = []
            if isinstance(block, QR):
                writer.qr(QR(block.data))
                if block.caption:
                    chunk = [para(block.caption, align="center", size="small")]
        else:
            chunk.append(block)
    finish(p, cut=True)
    return bytes(p.output)


def render_job(doc: Document, printer: PrinterConfig) -> RenderedJob:
    """Lay out `doc` and encode it for `printer`; raise PrinterConfigError before any I/O."""
    if printer.mode not in MODES:
        raise PrinterConfigError(
            f"chế độ in '{printer.mode}' không hợp lệ; dùng raster, text-tcvn3 hoặc text-ascii"
        )
    check_width(printer.profile, printer.paper_width_dots)
    blocks = layout(doc)
    if printer.mode != "raster":
        if printer.mode == "text-tcvn3":
            tcvn3_pages(printer.profile)
        try:
            return RenderedJob(text_job(blocks, printer), None, printer.mode)
        except UnencodableText:
            pass  # a name in a script the font lacks: the raster always prints it
    image = render(blocks, printer.paper_width_dots)
    if printer.native_qr:
        return RenderedJob(_raster_native_qr(blocks, printer), image, "raster")
    return RenderedJob(raster_job(image, printer.profile), image, "raster")
