"""A document as plain text lines, for the on-screen preview before (or after) printing.

The same blocks the printer gets, fitted to a column width; QR codes are drawn with half-block
characters so the preview's QR can be scanned from the screen with a phone.
"""

from __future__ import annotations

import textwrap

import qrcode
from qrcode.constants import ERROR_CORRECT_M

from printing.blocks import QR, Big, Block, Rule, Space, Table, Text
from printing.documents import Document
from printing.layout import layout


def qr_lines(data: str) -> list[str]:
    """Two QR rows per text line: '▀' top module, '▄' bottom, '█' both, ' ' none."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=2, box_size=1)
    code.add_data(data)
    code.make(fit=True)
    m = code.get_matrix()
    if len(m) % 2:
        m.append([False] * len(m[0]))
    chars = {(True, True): "█", (True, False): "▀", (False, True): "▄", (False, False): " "}
    return [
        "".join(chars[(a, b)] for a, b in zip(m[y], m[y + 1], strict=True))
        for y in range(0, len(m), 2)
    ]


def _align(line: str, width: int, align: str) -> str:
    if align == "center":
        return line.center(width).rstrip()
    if align == "right":
        return line.rjust(width)
    return line


def _table(block: Table, width: int) -> list[str]:
    total = sum(c.weight for c in block.columns)
    widths = [max(3, int(width * c.weight / total)) - 1 for c in block.columns]
    out = []
    for r, row in enumerate((tuple(c.header for c in block.columns), *block.rows)):
        cells = [textwrap.wrap(cell, w) or [""] for cell, w in zip(row, widths, strict=True)]
        for i in range(max(len(c) for c in cells)):
            out.append(
                " ".join(
                    (c[i] if i < len(c) else "").ljust(w)
                    for c, w in zip(cells, widths, strict=True)
                ).rstrip()
            )
        if r == 0:
            out.append("-" * width)
    return out


def plain_lines(blocks: list[Block], width: int = 48, *, with_qr: bool = True) -> list[str]:
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Text):
            text = "".join(s.text for s in block.spans)
            out += [_align(line, width, block.align) for line in textwrap.wrap(text, width)]
        elif isinstance(block, Big):
            out += [_align(line, width, "center") for line in textwrap.wrap(block.text, width)]
        elif isinstance(block, Table):
            out += _table(block, width)
        elif isinstance(block, QR):
            if with_qr:
                out += [_align(line, width, "center") for line in qr_lines(block.data)]
            if block.caption:
                out += [
                    _align(line, width, "center") for line in textwrap.wrap(block.caption, width)
                ]
        elif isinstance(block, Rule):
            out.append(("- " * width)[:width] if block.dashed else "─" * width)
        elif isinstance(block, Space):
            out.append("")
    return out


def preview_text(doc: Document, width: int = 48, *, with_qr: bool = True) -> str:
    return "\n".join(plain_lines(layout(doc), width, with_qr=with_qr))
