"""What the app asks to print: plain frozen records, already in the words to be printed.

The rest of the app fills these; layout turns them into blocks. No formatting decisions about
paper width live here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReceiptData:
    """Mẫu 01: Giấy tiếp nhận hồ sơ và hẹn trả kết quả."""

    agency_name: str
    centre: str
    code: str
    applicant_name: str
    applicant_id: str
    procedure_name: str
    received_at: datetime
    due_at: datetime
    lookup_url: str
    documents: tuple[tuple[str, str, int], ...] = ()  # (name, "Bản chính"/"Bản sao", count)
    applicant_phone: str = ""
    representative_name: str = ""
    procedure_code: str = ""
    sets_count: int = 1
    duration_text: str = ""
    delivery_label: str = "Tại Bộ phận Một cửa"
    fee_amount: int = 0
    payment_label: str = ""
    officer_name: str = ""
    counter_no: int | None = None
    lookup_website: str = ""
    hotline: str = ""
    vietqr_payload: str | None = None
    copy_label: str | None = None  # "Liên 1: Lưu" / "Liên 2: Giao công dân"
    reprint: bool = False
    form_number: str = "01"
    number: str = ""  # "Số: …"
    place_date: str = ""  # "Hà Nội, ngày 01 tháng 12 năm 2026"
    applicant_address: str = ""
    applicant_email: str = ""
    representative_id: str = ""
    representative_phone: str = ""
    representative_paper: str = ""


@dataclass(frozen=True)
class TicketData:
    """A queue ticket (phiếu số thứ tự)."""

    number: str
    area_name: str
    issued_at: datetime
    people_ahead: int
    centre: str
    counter_no: int | None = None


@dataclass(frozen=True)
class SupplementData:
    """Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""

    code: str
    applicant: str
    procedure: str
    items: tuple[str, ...]
    reason: str
    officer: str
    at: datetime
    agency_name: str = ""
    hotline: str = ""
    form_number: str = "02"
    place_date: str = ""
    at_intake: bool = False  # instead of a receipt: not received, no appointment


@dataclass(frozen=True)
class RefusalData:
    """Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""

    code: str | None
    applicant: str
    procedure: str
    reasons: tuple[str, ...]
    officer: str
    at: datetime
    agency_name: str = ""
    form_number: str = "03"
    place_date: str = ""


@dataclass(frozen=True)
class ExtensionData:
    """Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả (the one new appointment)."""

    code: str
    applicant: str
    procedure: str
    reason: str
    old_due_at: datetime
    new_due_at: datetime
    officer: str
    at: datetime
    agency_name: str = ""
    hotline: str = ""
    form_number: str = "04"
    place_date: str = ""


@dataclass(frozen=True)
class StopData:
    """Mẫu 05: Thông báo dừng giải quyết hồ sơ (withdrawn by the citizen, or stopped)."""

    code: str
    applicant: str
    procedure: str
    withdrawn: bool
    reason: str
    officer: str
    at: datetime
    agency_name: str = ""
    form_number: str = "05"
    place_date: str = ""


@dataclass(frozen=True)
class SelfTestPage:
    """A printer test page: every Vietnamese letter, rules, a QR and the printer's settings."""

    printer_name: str
    profile: str
    mode: str
    paper_width_dots: int
    at: datetime


Document = (
    ReceiptData
    | TicketData
    | SupplementData
    | RefusalData
    | ExtensionData
    | StopData
    | SelfTestPage
)
