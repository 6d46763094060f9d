"""The spooled forms of the golden-bytes tests: the JSON fields of every printed form as the
spool stores them, the printer settings they are rendered for, and the recorded digests."""

from __future__ import annotations

import functools
import hashlib
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from counter.config import PrinterConfig
from counter.spool import PrintJob
from counter.timeutil import VN_TZ
from printing.render import render_job
from printing.spool_worker import build_documents

GOLDEN = Path(__file__).parent / "print_forms.json"

AT = "2026-12-01T09:30:00+07:00"

# Every field of every form filled in (and a second, sparse variant where a form has branches).
SPOOLED: dict[str, tuple[str, dict[str, Any], int, bool]] = {
    "receipt-full": (
        "receipt",
        {
            "agency_name": "UBND phường Hoàn Kiếm",
            "centre": "Trung tâm Phục vụ hành chính công",
            "code": "000.00.01.H26-261201-030001",
            "number": "261201-030001",
            "place_date": "Hà Nội, ngày 01 tháng 12 năm 2026",
            "applicant_name": "Nguyễn Thị Hằng",
            "applicant_id": "001******789",
            "applicant_phone": "0912345678",
            "applicant_address": "12 phố Hàng Bạc, phường Hoàn Kiếm",
            "applicant_email": "hang@example.vn",
            "representative_name": "Đặng Quốc Bảo",
            "representative_id": "002******123",
            "representative_phone": "0987654321",
            "representative_paper": "Giấy ủy quyền số 15/UQ",
            "form_number": "01",
            "procedure_name": "Đăng ký thường trú",
            "procedure_code": "1.004194",
            "received_at": AT,
            "due_at": "2026-12-04T16:30:00+07:00",
            "lookup_url": "https://dichvucong.example.vn/tra-cuu/261201-030001?t=abc",
            "documents": [
                ["Tờ khai thay đổi thông tin cư trú", "Bản chính", 1],
                ["Giấy tờ chứng minh chỗ ở hợp pháp", "Bản sao", 2],
            ],
            "sets_count": 1,
            "duration_text": "03 ngày làm việc",
            "delivery_label": "Tại Bộ phận Một cửa",
            "fee_amount": 15000,
            "payment_label": "Chuyển khoản",
            "officer_name": "Trần Văn Minh",
            "counter_no": 3,
            "lookup_website": "dichvucong.example.vn",
            "hotline": "1900 1234",
            "vietqr_payload": "00020101021238570010A000000727012700069704220113"
            "0123456789012340208QRIBFTTA530370454051500058"
            "02VN62270823LE PHI HS 2612010300016304ABCD",
        },
        2,
        True,
    ),
    "receipt-sparse": (
        "receipt",
        {
            "agency_name": "",
            "centre": "",
            "code": "000.00.01.H26-261201-030002",
            "applicant_name": "Lê Văn Ất",
            "applicant_id": "001234567890",
            "procedure_name": "Chứng thực bản sao",
            "received_at": AT,
            "due_at": AT,
            "lookup_url": "https://dichvucong.example.vn/tra-cuu/x",
            "documents": [],
            "fee_amount": 0,
            "counter_no": None,
            "vietqr_payload": None,
        },
        1,
        False,
    ),
    "ticket": (
        "ticket",
        {
            "number": "A015",
            "area_name": "Tư pháp - Hộ tịch",
            "issued_at": AT,
            "people_ahead": 4,
            "centre": "Trung tâm Phục vụ hành chính công",
            "counter_no": 2,
        },
        1,
        False,
    ),
    "ticket-nobody-ahead": (
        "ticket",
        {
            "number": "B001",
            "area_name": "Đất đai",
            "issued_at": AT,
            "people_ahead": 0,
            "centre": "Trung tâm",
            "counter_no": None,
        },
        1,
        False,
    ),
    "supplement": (
        "supplement",
        {
            "code": "000.00.01.H26-261201-030001",
            "applicant": "Nguyễn Thị Hằng",
            "procedure": "Đăng ký thường trú",
            "officer": "Trần Văn Minh",
            "at": AT,
            "agency_name": "UBND phường Hoàn Kiếm",
            "place_date": "Hà Nội, ngày 01 tháng 12 năm 2026",
            "form_number": "02",
            "items": ["Bản sao sổ đỏ có chứng thực", "Ảnh 4x6"],
            "reason": "Thiếu giấy tờ chứng minh chỗ ở",
            "hotline": "1900 1234",
            "at_intake": False,
        },
        1,
        False,
    ),
    "supplement-at-intake": (
        "supplement",
        {
            "code": "000.00.01.H26-261201-030003",
            "applicant": "Lê Văn Ất",
            "procedure": "Đăng ký thường trú",
            "officer": "Trần Văn Minh",
            "at": AT,
            "agency_name": "",
            "place_date": "",
            "form_number": "",
            "items": ["Tờ khai"],
            "reason": "Thiếu tờ khai",
            "hotline": "",
            "at_intake": True,
        },
        1,
        False,
    ),
    "refusal": (
        "refusal",
        {
            "code": "000.00.01.H26-261201-030004",
            "applicant": "Phạm Thị Ơn",
            "procedure": "Đăng ký khai sinh",
            "officer": "Trần Văn Minh",
            "at": AT,
            "agency_name": "UBND phường Hoàn Kiếm",
            "place_date": "Hà Nội, ngày 01 tháng 12 năm 2026",
            "form_number": "03",
            "reasons": ["Không thuộc thẩm quyền", "Hồ sơ giả mạo"],
        },
        1,
        False,
    ),
    "refusal-no-code": (
        "refusal",
        {
            "code": None,
            "applicant": "Phạm Thị Ơn",
            "procedure": "Đăng ký khai sinh",
            "officer": "Trần Văn Minh",
            "at": AT,
            "reasons": ["Không thuộc thẩm quyền"],
        },
        1,
        False,
    ),
    "extension": (
        "extension",
        {
            "code": "000.00.01.H26-261201-030001",
            "applicant": "Nguyễn Thị Hằng",
            "procedure": "Đăng ký thường trú",
            "officer": "Trần Văn Minh",
            "at": AT,
            "agency_name": "UBND phường Hoàn Kiếm",
            "place_date": "Hà Nội, ngày 01 tháng 12 năm 2026",
            "form_number": "04",
            "reason": "Cần xác minh thêm",
            "old_due_at": "2026-12-04T16:30:00+07:00",
            "new_due_at": "2026-12-09T16:30:00+07:00",
            "hotline": "1900 1234",
        },
        1,
        False,
    ),
    "stop-withdrawn": (
        "stop",
        {
            "code": "000.00.01.H26-261201-030001",
            "applicant": "Nguyễn Thị Hằng",
            "procedure": "Đăng ký thường trú",
            "officer": "Trần Văn Minh",
            "at": AT,
            "agency_name": "UBND phường Hoàn Kiếm",
            "place_date": "Hà Nội, ngày 01 tháng 12 năm 2026",
            "form_number": "05",
            "withdrawn": True,
            "reason": "Công dân rút hồ sơ",
        },
        1,
        False,
    ),
    "stop": (
        "stop",
        {
            "code": "000.00.01.H26-261201-030001",
            "applicant": "Nguyễn Thị Hằng",
            "procedure": "Đăng ký thường trú",
            "officer": "Trần Văn Minh",
            "at": AT,
            "withdrawn": False,
            "reason": "Không đủ điều kiện",
        },
        1,
        False,
    ),
    "testpage": (
        "testpage",
        {
            "printer_name": "quầy 3",
            "profile": "TM-T20II",
            "mode": "raster",
            "paper_width_dots": 576,
            "at": AT,
        },
        1,
        False,
    ),
}

PRINTERS = {
    "raster-576": PrinterConfig(paper_width_dots=576),
    "raster-384": PrinterConfig(paper_width_dots=384),
    "raster-native-qr": PrinterConfig(paper_width_dots=512, native_qr=True),
    "tcvn3-576": PrinterConfig(paper_width_dots=576, mode="text-tcvn3"),
    "ascii-384": PrinterConfig(paper_width_dots=384, mode="text-ascii"),
}


def spooled_job(kind: str, document: dict[str, Any], copies: int, reprint: bool) -> PrintJob:
    """A job exactly as `spool` reads it back: the document as parsed from its JSON column."""
    at = datetime(2026, 12, 1, 9, 30, tzinfo=VN_TZ)
    return PrintJob(
        id=1,
        created_at=at,
        kind=kind,
        ref="golden",
        printer="preview",
        document=json.loads(json.dumps(document, ensure_ascii=False)),
        copies=copies,
        reprint=reprint,
        status="pending",
        attempts=0,
        last_error="",
        next_attempt_at=at,
        sent_at=None,
        bytes_sha256="",
    )


def job_digest(name: str, printer: PrinterConfig) -> str:
    kind, document, copies, reprint = SPOOLED[name]
    data = b"".join(
        render_job(doc, printer).data
        for doc in build_documents(spooled_job(kind, document, copies, reprint))
    )
    return f"{len(data)}:{hashlib.sha256(data).hexdigest()}"


CASES = [(form, printer) for form in SPOOLED for printer in PRINTERS]


@functools.cache
def golden() -> dict[str, str]:
    """The recorded digests; `GOLDEN_UPDATE=1` records them again from the current code."""
    if os.environ.get("GOLDEN_UPDATE") == "1":
        table = {f"{f}/{p}": job_digest(f, PRINTERS[p]) for f, p in CASES}
        GOLDEN.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    loaded: dict[str, str] = json.loads(GOLDEN.read_text())
    return loaded
