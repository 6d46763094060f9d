"""Be Vietnam Pro from its Python package: the receipt never depends on a system font."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import fontpkg_be_vietnam_pro
from PIL import ImageFont

FONT_DIR = Path(fontpkg_be_vietnam_pro.ROOT) / "files"
_FILES = {False: "BeVietnamPro-Regular.ttf", True: "BeVietnamPro-Bold.ttf"}


@lru_cache(maxsize=64)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The regular or bold face at `size` pixels (one dot = one pixel)."""
    return ImageFont.truetype(str(FONT_DIR / _FILES[bold]), size)
