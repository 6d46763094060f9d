"""A rendered 1-bit image to ESC/POS bytes with python-escpos (`GS v 0` raster).

Every job starts with `ESC @`. The image is sent in bands: runs of blank rows cost one byte a
row, each inked band is cut just after its rightmost dot, and bands made of 2×2 cells (QR
codes with even module sizes) are sent at half resolution with the quadruple-density flag.
That keeps a full 80 mm receipt under 60 KB for slow serial links; nothing moves on paper.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator

from PIL import Image

from .errors import PrinterConfigError
from .escpos_lib import Dummy, get_profile
from .profiles import profile_width

INIT = b"\x1b@"
ALIGN_LEFT = b"\x1ba\x00"
MIN_GAP = 4  # blank runs shorter than this stay inside the band (a header costs 8 bytes)
FEED_LINES = 4


def dummy(profile: str, width: int) -> Dummy:
    """A python-escpos Dummy for `profile`, refusing unknown profile names clearly.

    A profile whose database entry lacks the paper width (`default`, `simple`, a few others)
    gets the width the config gives, on this Dummy's own copy of the profile: python-escpos
    otherwise prints a warning to stdout for every image (hundreds of lines a day, and on
    top of the app's screen)."""
    try:
        get_profile(profile)
    except KeyError:
        raise PrinterConfigError(
            f"máy in: không có hồ sơ (profile) '{profile}' trong escpos-printer-db",
            f"printer profile {profile!r} is not in escpos-printer-db",
        ) from None
    p = Dummy(profile=profile)
    if profile_width(profile) is None:
        data = copy.deepcopy(p.profile.profile_data)  # the class's dict is shared: copy
        media = data.setdefault("media", {})
        if not isinstance(media.get("width"), dict):
            media["width"] = {}
        media["width"]["pixels"] = width
        p.profile.profile_data = data
    return p


def check_width(profile: str, width: int) -> None:
    limit = profile_width(profile)
    if limit is not None and width > limit:
        raise PrinterConfigError(
            f"máy in {profile} chỉ in được {limit} chấm mỗi dòng; đặt paper_width_dots = {limit}",
            f"profile {profile} prints at most {limit} dots; set paper_width_dots = {limit}",
        )


def _ink_rows(img: Image.Image) -> list[bool]:
    """Which rows have at least one printed dot (mode "1": a 0 bit is black)."""
    w, h = img.size
    stride = (w + 7) // 8
    raw = img.tobytes()
    pad = stride * 8 - w
    last = (0xFF >> (8 - pad)) if pad else 0  # padding bits read as 0 (black): ignore them
    rows = []
    for y in range(h):
        row = raw[y * stride : (y + 1) * stride]
        rows.append(row[:-1].count(0xFF) != stride - 1 or (row[-1] | last) != 0xFF)
    return rows


def bands(image: Image.Image) -> Iterator[tuple[int, int, int]]:
    """(top, bottom, width) of each band; width 0 marks a blank run."""
    img = image.convert("1")
    w, h = img.size
    ink = _ink_rows(img)
    inv = img.point(lambda v: 255 - v)  # getbbox finds non-zero pixels: make ink non-zero
    y = 0
    while y < h:
        start = y
        while y < h and not ink[y]:
            y += 1
        if y > start:
            yield start, y, 0
            continue
        while y < h:
            if ink[y]:
                y += 1
                continue
            gap = y
            while gap < h and not ink[gap]:
                gap += 1
            if gap - y >= MIN_GAP or gap == h:
                break
            y = gap
        box = inv.crop((0, start, w, y)).getbbox()
        right = box[2] if box else 8
        yield start, y, min(w, (right + 7) // 8 * 8)


def _blocky(band: Image.Image) -> Image.Image | None:
    """The band at half resolution when every 2×2 cell is one colour (QR codes), else None."""
    w, h = band.size
    if w % 16 or h % 2:
        return None
    half = band.resize((w // 2, h // 2), Image.Resampling.NEAREST)
    if half.resize((w, h), Image.Resampling.NEAREST).tobytes() != band.tobytes():
        return None
    return half


def add_image(p: Dummy, image: Image.Image) -> None:
    """Append `image` as left-aligned `GS v 0` bands; 2×2-blocky bands go at quadruple size."""
    img = image.convert("1")
    for top, bottom, width in bands(img):
        if width == 0:
            p.image(Image.new("1", (8, bottom - top), 1), fragment_height=1024)
            continue
        band = img.crop((0, top, min(img.width, (width + 15) // 16 * 16), bottom))
        half = _blocky(band)
        if half is not None:
            p.image(half, False, False, impl="bitImageRaster", fragment_height=1024)
        else:
            p.image(band.crop((0, 0, width, band.height)), fragment_height=1024)


def raster_job(image: Image.Image, profile: str, *, cut: bool = True) -> bytes:
    """`ESC @`, the image as raster bands, then feed and cut."""
    check_width(profile, image.width)
    p = dummy(profile, image.width)
    p._raw(INIT + ALIGN_LEFT)
    add_image(p, image)
    finish(p, cut)
    return bytes(p.output)


def finish(p: Dummy, cut: bool) -> None:
    if cut:
        p.cut()
    else:
        p.print_and_feed(FEED_LINES)
