"""The receipt end to end: layout wording, raster fit, ESC/POS bytes, and the QR codes read
back from the bytes with a real decoder (zxing-cpp)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest
import zxingcpp
from PIL import Image

from counter.config import PrinterConfig
from counter.lookup import lookup_token, lookup_url, parse_lookup_url, verify_token
from counter.timeutil import VN_TZ
from counter.vietqr import build_vietqr, parse_tlv, verify_crc
from printing.blocks import QR, Big, Block, Table, Text
from printing.decode import decode_raster
from printing.documents import ReceiptData, RefusalData, SupplementData, TicketData
from printing.layout import layout
from printing.raster import metrics, render
from printing.render import render_job

SECRET = b"device secret for receipt tests!"
DEVICE = "3f2b8c1e-5d4a-4e8b-9c7f-1a2b3c4d5e6f"
DOSSIER = "9a7e92cb-f2a9-47b6-b7b7-597b491590c1"
CODE = "000.00.12.H26-261126-0001"
TOKEN = lookup_token(SECRET, DEVICE, DOSSIER, CODE)
URL = lookup_url("http://127.0.0.1:8700", CODE, TOKEN, DEVICE, DOSSIER)
VIETQR = build_vietqr("970415", "0011001932418", 8000, f"Le phi {CODE}")
AT = datetime(2026, 11, 26, 14, 5, tzinfo=VN_TZ)


def receipt(**changes: object) -> ReceiptData:
    base = ReceiptData(
        agency_name="UBND phường Hoàn Kiếm",
        centre="Trung tâm Phục vụ hành chính công phường Hoàn Kiếm",
        code=CODE,
        applicant_name="Nguyễn Thị Phương Thảo",
        applicant_id="0010****6789",
        applicant_phone="0912 345 678",
        procedure_name="Đăng ký khai sinh",
        procedure_code="1.001193",
        documents=(
            ("Tờ khai đăng ký khai sinh", "Bản chính", 1),
            ("Giấy chứng sinh", "Bản chính", 1),
            ("Văn bản ủy quyền", "Bản sao", 1),
        ),
        duration_text="01 ngày làm việc",
        received_at=AT,
        due_at=datetime(2026, 11, 27, 14, 5, tzinfo=VN_TZ),
        fee_amount=8000,
        payment_label="chuyển khoản",
        officer_name="Lê Thị Mai",
        counter_no=3,
        lookup_url=URL,
        lookup_website="http://127.0.0.1:8700",
        hotline="1900 1234",
        vietqr_payload=VIETQR,
        copy_label="Liên 2: Giao công dân",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def words(blocks: list[Block]) -> str:
    out: list[str] = []
    for b in blocks:
        if isinstance(b, Text):
            out.append("".join(s.text for s in b.spans))
        elif isinstance(b, Big):
            out.append(b.text)
        elif isinstance(b, Table):
            out += [" ".join(r) for r in b.rows]
        elif isinstance(b, QR):
            out.append(b.caption)
    return "\n".join(out)


def printer(width: int = 576, profile: str = "TM-T20II", **kw: object) -> PrinterConfig:
    return PrinterConfig(profile=profile, paper_width_dots=width, **kw)  # type: ignore[arg-type]


def test_receipt_wording() -> None:
    text = words(layout(receipt(reprint=True)))
    for phrase in (
        "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ",
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        "Mã hồ sơ",
        "Thành phần hồ sơ",
        "Thời gian nhận hồ sơ: 14 giờ 05 phút, ngày 26/11/2026",
        "Thời gian trả kết quả: 14 giờ 05 phút, ngày 27/11/2026",
        "Quét mã QR để tra cứu tiến độ giải quyết hồ sơ",
        "Khi đến nhận kết quả, mang theo Giấy này",
        "BẢN IN LẠI",
        "Quét mã để nộp phí qua ngân hàng",
        "Số tiền: 8.000 đồng",
        "Liên 2: Giao công dân",
        "Mẫu số 01",
        CODE,
    ):
        assert phrase in text, phrase
    plain = words(layout(receipt(vietqr_payload=None, reprint=False)))
    assert "BẢN IN LẠI" not in plain and "nộp phí qua ngân hàng" not in plain


def test_other_documents_wording() -> None:
    ticket = words(layout(TicketData("A015", "Tư pháp - Hộ tịch", AT, 4, "Trung tâm", 3)))
    assert "A015" in ticket and "Mời đến quầy số 3" in ticket and "Có 4 người" in ticket
    supp = words(
        layout(
            SupplementData(
                code=CODE,
                applicant="Trần Văn Đức",
                procedure="Chứng thực",
                items=("Bản sao CCCD",),
                reason="Thiếu",
                officer="Mai",
                at=AT,
            )
        )
    )
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in supp and "1. Bản sao CCCD" in supp
    refusal = words(
        layout(
            RefusalData(
                code=None,
                applicant="Trần Văn Đức",
                procedure="Chứng thực",
                reasons=("Không thuộc thẩm quyền",),
                officer="Mai",
                at=AT,
            )
        )
    )
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in refusal and "Mã hồ sơ" not in refusal


def _ink_box(img: Image.Image) -> tuple[int, int, int, int] | None:
    return img.convert("L").point(lambda v: 255 - v).getbbox()


@pytest.mark.parametrize("width", [576, 512, 384])
def test_long_text_wraps_inside_the_paper(width: int) -> None:
    doc = receipt(
        applicant_name="Công Tằng Tôn Nữ Nguyễn Thị Phương Thảo Huyền Trân Ngọc Diệp " * 2,
        representative_name="Người-đại-diện-có-tên-viết-liền-không-dấu-cách-rất-rất-rất-dài-quá-khổ-giấy",
        documents=tuple(
            (f"Giấy tờ số {i}: bản trích lục hộ tịch có chứng thực hợp lệ", "Bản sao", 2)
            for i in range(12)
        ),
        reprint=True,
    )
    img = render(layout(doc), width)
    assert img.width == width and img.mode == "1"
    margin = metrics(width).margin
    box = _ink_box(img)
    assert box is not None
    assert box[0] >= margin - 1 and box[2] <= width - margin + 1, (box, margin)


def _qr_texts(img: Image.Image) -> list[str]:
    return [r.text for r in zxingcpp.read_barcodes(img.convert("L"))]


@pytest.mark.parametrize("width,profile", [(576, "TM-T20II"), (384, "POS-5890")])
def test_job_bytes_decode_to_readable_qr_codes(width: int, profile: str) -> None:
    job = render_job(receipt(), printer(width, profile))
    assert job.data.startswith(b"\x1b@")
    assert b"\x1dv0" in job.data
    # feed, then cut where the profile has a cutter (the POS-5890 has none)
    assert job.data.endswith(b"\x1bd\x06\x1dV\x00" if profile == "TM-T20II" else b"\x1bd\x06")
    assert job.image is not None and job.image.width == width
    picture = decode_raster(job.data, width)
    assert picture.tobytes() == job.image.tobytes()  # the bytes print exactly the rendered image
    texts = _qr_texts(picture)
    assert URL in texts and VIETQR in texts
    ref = parse_lookup_url(URL)
    assert ref is not None and verify_token(SECRET, DEVICE, ref.dossier_uuid, ref.code, ref.token)
    payload = next(t for t in texts if t != URL)
    assert verify_crc(payload)
    assert parse_tlv(payload)["54"] == "8000"
    assert parse_tlv(parse_tlv(parse_tlv(payload)["38"])["01"])["00"] == "970415"


def test_full_80mm_receipt_is_small() -> None:
    job = render_job(receipt(reprint=True, representative_name="Trần Văn Đức"), printer())
    assert job.image is not None
    raw = job.image.width * job.image.height // 8
    print(f"\nfull 80 mm receipt: {len(job.data)} bytes ({raw} bytes as one raw image)")
    assert len(job.data) < 60_000


def test_ticket_renders_big_number() -> None:
    job = render_job(TicketData("B014", "Đất đai", AT, 0, "Trung tâm"), printer(384, "POS-5890"))
    assert job.image is not None and job.image.width == 384
    assert job.data.startswith(b"\x1b@")
