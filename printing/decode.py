"""ESC/POS bytes back to a picture: proof of what a job would print (tests, preview).

Only the raster (`GS v 0`) parts are drawn, stacked top to bottom and left-aligned as the
printer does; other commands are understood and skipped, unknown ones are an error.
"""

from __future__ import annotations

from PIL import Image

_ESC_LENGTH = {ord("@"): 2, ord("2"): 2, ord("$"): 4, ord("\\"): 4} | {
    c: 3 for c in b"!-EGJMRVat3d"
}
_GS_LENGTH = {ord("L"): 4, ord("W"): 4} | {c: 3 for c in b"!BHfhw"}


def raster_blocks(data: bytes) -> list[Image.Image]:
    """Every `GS v 0` image in `data`, at printed size (density flags applied)."""
    out: list[Image.Image] = []
    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == 0x1B and i + 1 < n:
            cmd = data[i + 1]
            if cmd not in _ESC_LENGTH:
                raise ValueError(f"unknown ESC command 0x{cmd:02x} at byte {i}")
            i += _ESC_LENGTH[cmd]
        elif b == 0x1D and i + 1 < n:
            cmd = data[i + 1]
            if cmd == ord("v") and data[i + 2] == ord("0"):
                m = data[i + 3]
                xb = data[i + 4] | data[i + 5] << 8
                h = data[i + 6] | data[i + 7] << 8
                raw = data[i + 8 : i + 8 + xb * h]
                if len(raw) != xb * h:
                    raise ValueError("truncated GS v 0 image")
                img = Image.frombytes("1", (xb * 8, h), raw).point(lambda v: 255 - v)
                sx, sy = (2 if m & 1 else 1), (2 if m & 2 else 1)
                if sx != 1 or sy != 1:
                    img = img.resize((img.width * sx, img.height * sy), Image.Resampling.NEAREST)
                out.append(img.convert("1"))
                i += 8 + xb * h
            elif cmd == ord("(") and data[i + 2] in b"kL":
                i += 5 + (data[i + 3] | data[i + 4] << 8)
            elif cmd == ord("V"):
                i += 4 if data[i + 2] in (65, 66) else 3
            elif cmd in _GS_LENGTH:
                i += _GS_LENGTH[cmd]
            else:
                raise ValueError(f"unknown GS command 0x{cmd:02x} at byte {i}")
        else:
            i += 1  # text and line feeds
    return out


def decode_raster(data: bytes, width: int | None = None) -> Image.Image:
    """The raster parts of a job as one mode "1" image (black = printed), `width` dots wide."""
    blocks = raster_blocks(data)
    w = width or max((b.width for b in blocks), default=8)
    page = Image.new("1", (w, max(1, sum(b.height for b in blocks))), 1)
    y = 0
    for block in blocks:
        page.paste(block.crop((0, 0, min(w, block.width), block.height)), (0, y))
        y += block.height
    return page
