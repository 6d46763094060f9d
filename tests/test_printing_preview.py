"""The on-screen preview: the receipt's words in order, and a QR that a phone can read."""

from __future__ import annotations

import zxingcpp
from PIL import Image

from counter.desk import Desk
from printing.plain import preview_text, qr_lines
from printing.spool_worker import build_documents
from tests.support.builders import draft_for


def lines_to_image(lines: list[str], scale: int = 6) -> Image.Image:
    """Turn half-block characters back into modules (dark modules black on white)."""
    width = max(len(line) for line in lines) + 8
    img = Image.new("L", (width, len(lines) * 2 + 8), 255)  # with a quiet zone all round
    for y, line in enumerate(lines):
        for x, ch in enumerate(line):
            if ch in "█▀":
                img.putpixel((x + 4, 2 * y + 4), 0)
            if ch in "█▄":
                img.putpixel((x + 4, 2 * y + 5), 0)
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def test_preview_qr_decodes_to_the_data() -> None:
    url = "HTTP://127.0.0.1:8700/TRA-CUU/000.00.12.H26-261126-030001/ABCDEFGH/X/Y"
    found = zxingcpp.read_barcodes(lines_to_image(qr_lines(url)))
    assert [b.text for b in found] == [url]


def test_receipt_preview_has_the_receipt_words(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk))
    job = officer_desk.print_jobs(d.uuid)[0]
    text = preview_text(build_documents(job)[0], width=48)
    for needle in (
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        d.code,
        "Nguyễn Văn Đức",
        "0010******45",
        "Khi đến nhận kết quả, mang theo Giấy này",
    ):
        assert needle in text
    assert all(len(line) <= 48 for line in text.splitlines())
    qr = [line for line in text.splitlines() if line.strip() and set(line) <= set("█▀▄ ")]
    decoded = {b.text for b in zxingcpp.read_barcodes(lines_to_image(qr))}
    assert officer_desk.lookup_url(d) in decoded
