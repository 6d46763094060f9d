"""Documents to blocks: one description per printed form, read by one renderer.

Each form of Circular 03/2025 (and the queue ticket, and the test page) is a table of parts
(printing/parts.py) in the order they print; `layout` looks the document's form up and joins
its parts. A new printed form is a typed document in counter/documents.py plus one table here.
"""

from __future__ import annotations

from typing import Any

from counter.documents import (
    Document,
    ExtensionData,
    ReceiptData,
    RefusalData,
    SelfTestPage,
    StopData,
    SupplementData,
    TicketData,
)
from counter.timeutil import fmt_vn

from .blocks import QR, Big, Block, Column, Rule, Space, Table, para
from .parts import (
    ONE_STOP,
    Form,
    field,
    fixed,
    header,
    money,
    numbered,
    official_heading,
    optional_field,
    place_date,
    signatures,
    text,
    title,
)
from .testpage import TEST_PAGE

__all__ = ["FORMS", "ONE_STOP", "Form", "layout", "money"]

# -- Mẫu 01: the receipt's pieces that are more than one line -------------------------------


def _documents_table(d: ReceiptData) -> list[Block]:
    if not d.documents:
        return []
    cols = (
        Column("TT", 1.0, "center"),
        Column("Tên giấy tờ", 5.0),
        Column("Bản chính/ bản sao", 2.6, "center"),
        Column("SL", 1.1, "center"),
    )
    rows = tuple(
        (str(i), name, form, f"{count:02d}") for i, (name, form, count) in enumerate(d.documents, 1)
    )
    return [Table(cols, rows)]


def _fee(d: ReceiptData) -> str:
    fee = money(d.fee_amount) if d.fee_amount else "Không"
    if d.fee_amount and d.payment_label:
        fee += f" ({d.payment_label})"
    return fee


def _officer(d: ReceiptData) -> str:
    counter = f"quầy số {d.counter_no}" if d.counter_no is not None else ""
    return ", ".join(p for p in (d.officer_name, counter) if p)


def _fee_transfer(d: ReceiptData) -> list[Block]:
    """The VietQR, only while the fee is to be paid by transfer."""
    if not d.vietqr_payload:
        return []
    out: list[Block] = [Rule(dashed=True), QR(d.vietqr_payload, "Quét mã để nộp phí qua ngân hàng")]
    if d.fee_amount:
        out.append(para(f"Số tiền: {money(d.fee_amount)}", bold=True, align="center"))
    return out


RECEIPT: Form[ReceiptData] = Form(
    (
        lambda d: header(d.agency_name, d.centre, d.form_number),
        text("BẢN IN LẠI", bold=True, align="center", size="large", when=lambda d: d.reprint),
        text(
            lambda d: d.copy_label or "",
            align="center",
            size="small",
            when=lambda d: bool(d.copy_label),
        ),
        text(
            lambda d: f"Số: {d.number}", align="center", size="small", when=lambda d: bool(d.number)
        ),
        place_date,
        title("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
        fixed(para("Mã hồ sơ", align="center", size="small")),
        lambda d: [Big(d.code, scale=1.3)],
        fixed(Rule(dashed=True)),
        field("Tiếp nhận hồ sơ của", lambda d: d.applicant_name, bold=True),
        field("Số định danh cá nhân/tổ chức", lambda d: d.applicant_id),
        optional_field("Địa chỉ", lambda d: d.applicant_address),
        optional_field("Điện thoại", lambda d: d.applicant_phone),
        optional_field("Thư điện tử", lambda d: d.applicant_email),
        optional_field("Người được ủy quyền", lambda d: d.representative_name),
        optional_field(
            "  Số định danh cá nhân",
            lambda d: d.representative_id if d.representative_name else "",
        ),
        optional_field(
            "  Điện thoại", lambda d: d.representative_phone if d.representative_name else ""
        ),
        optional_field(
            "  Giấy ủy quyền", lambda d: d.representative_paper if d.representative_name else ""
        ),
        field(
            "Nội dung yêu cầu giải quyết",
            lambda d: d.procedure_name + (f" (mã {d.procedure_code})" if d.procedure_code else ""),
        ),
        fixed(para("1. Thành phần hồ sơ nộp gồm:", bold=True)),
        _documents_table,
        field("2. Số lượng hồ sơ", lambda d: f"{d.sets_count:02d} bộ"),
        optional_field("3. Thời gian giải quyết theo quy định", lambda d: d.duration_text),
        field("4. Thời gian nhận hồ sơ", lambda d: fmt_vn(d.received_at)),
        field("5. Thời gian trả kết quả", lambda d: fmt_vn(d.due_at), bold=True),
        field("6. Đăng ký nhận kết quả tại", lambda d: d.delivery_label),
        field("Phí, lệ phí", _fee),
        optional_field("Người tiếp nhận", _officer),
        fixed(
            para("Vào Sổ theo dõi hồ sơ, Quyển số: ........ Số thứ tự: ........", size="small"),
            Space(),
        ),
        lambda d: [signatures("NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "", d.officer_name)],
        fixed(Rule()),
        lambda d: [QR(d.lookup_url, "Quét mã QR để tra cứu tiến độ giải quyết hồ sơ")],
        text(
            lambda d: f"Tra cứu tại: {d.lookup_website}",
            align="center",
            size="small",
            when=lambda d: bool(d.lookup_website),
        ),
        text(
            lambda d: f"Đường dây nóng: {d.hotline}",
            align="center",
            size="small",
            when=lambda d: bool(d.hotline),
        ),
        _fee_transfer,
        fixed(Rule(), para("Khi đến nhận kết quả, mang theo Giấy này", bold=True, align="center")),
    )
)

TICKET: Form[TicketData] = Form(
    (
        text(lambda d: d.centre, bold=True, align="center", size="small"),
        fixed(Rule(), para("SỐ THỨ TỰ CỦA ÔNG/BÀ", align="center")),
        lambda d: [Big(d.number)],
        text(lambda d: d.area_name, bold=True, align="center"),
        text(
            lambda d: f"Mời đến quầy số {d.counter_no}",
            bold=True,
            align="center",
            when=lambda d: d.counter_no is not None,
        ),
        text(
            lambda d: (
                ("Không có ai" if d.people_ahead == 0 else f"Có {d.people_ahead} người")
                + " đang chờ trước Ông/Bà"
            ),
            align="center",
        ),
        text(lambda d: f"Lấy số lúc {fmt_vn(d.issued_at)}", align="center", size="small"),
        fixed(
            Rule(dashed=True),
            para("Vui lòng chờ đến khi được gọi số", align="center", size="small"),
        ),
    )
)

HOTLINE = "Mọi vướng mắc xin liên hệ: {}"
SORRY = fixed(Rule(), para("Xin lỗi Ông/Bà vì sự bất tiện này", align="center", size="small"))

SUPPLEMENT: Form[SupplementData] = Form(
    (
        official_heading,
        title("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"),
        field("Mã hồ sơ", lambda d: d.code, bold=True),
        field("Người nộp hồ sơ", lambda d: d.applicant),
        field("Thủ tục", lambda d: d.procedure),
        fixed(para("Nội dung yêu cầu bổ sung, hoàn thiện:", bold=True)),
        numbered(lambda d: d.items),
        field("Lý do", lambda d: d.reason),
        field("Người tiếp nhận", lambda d: d.officer),
        field("Thời gian", lambda d: fmt_vn(d.at)),
        text(
            "Hồ sơ chưa được tiếp nhận. Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ theo "
            "hướng dẫn trên và nộp lại.",
            bold=True,
            when=lambda d: d.at_intake,
        ),
        text(
            "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết; ngày hẹn trả "
            "kết quả được tính lại khi nhận đủ hồ sơ bổ sung.",
            size="small",
            when=lambda d: not d.at_intake,
        ),
        text(
            lambda d: HOTLINE.format(d.hotline),
            align="center",
            size="small",
            when=lambda d: bool(d.hotline),
        ),
        SORRY,
    )
)

REFUSAL: Form[RefusalData] = Form(
    (
        official_heading,
        title("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"),
        optional_field("Mã hồ sơ", lambda d: d.code or "", bold=True),
        field("Người nộp hồ sơ", lambda d: d.applicant),
        field("Thủ tục", lambda d: d.procedure),
        fixed(para("Lý do từ chối:", bold=True)),
        numbered(lambda d: d.reasons),
        field("Người tiếp nhận", lambda d: d.officer),
        field("Thời gian", lambda d: fmt_vn(d.at)),
        SORRY,
    )
)

EXTENSION: Form[ExtensionData] = Form(
    (  # Mẫu 04: the apology comes first, then the reason and the new appointment
        official_heading,
        title("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"),
        field("Mã hồ sơ", lambda d: d.code, bold=True),
        field("Kính gửi", lambda d: d.applicant),
        field("Thủ tục", lambda d: d.procedure),
        field("Ngày hẹn trả kết quả cũ", lambda d: fmt_vn(d.old_due_at)),
        field("Lý do chậm trễ", lambda d: d.reason),
        fixed(
            para(
                "Cơ quan giải quyết xin lỗi Ông/Bà vì sự chậm trễ này và hẹn lại thời gian trả "
                "kết quả:",
            )
        ),
        text(lambda d: fmt_vn(d.new_due_at), bold=True, align="center", size="large"),
        field("Người lập phiếu", lambda d: d.officer),
        text(
            lambda d: HOTLINE.format(d.hotline),
            align="center",
            size="small",
            when=lambda d: bool(d.hotline),
        ),
        fixed(Rule(), para("Khi đến nhận kết quả, mang theo Phiếu này", align="center")),
    )
)

STOP: Form[StopData] = Form(
    (  # Mẫu 05: why the dossier is no longer being processed
        official_heading,
        title("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ"),
        field("Mã hồ sơ", lambda d: d.code, bold=True),
        field("Kính gửi", lambda d: d.applicant),
        field("Thủ tục", lambda d: d.procedure),
        text(
            lambda d: (
                "Theo đề nghị rút hồ sơ của Ông/Bà, cơ quan dừng giải quyết hồ sơ này."
                if d.withdrawn
                else "Cơ quan dừng giải quyết hồ sơ này."
            )
        ),
        field("Lý do", lambda d: d.reason),
        field("Người lập", lambda d: d.officer),
        field("Thời gian", lambda d: fmt_vn(d.at)),
    )
)

# Every typed document and the form that prints it (tests check none is missing).
FORMS: dict[type[Any], Form[Any]] = {
    ReceiptData: RECEIPT,
    TicketData: TICKET,
    SupplementData: SUPPLEMENT,
    RefusalData: REFUSAL,
    ExtensionData: EXTENSION,
    StopData: STOP,
    SelfTestPage: TEST_PAGE,
}


def layout(doc: Document) -> list[Block]:
    """The blocks of any printable document."""
    form = FORMS.get(type(doc))
    if form is None:
        raise TypeError(f"not a printable document: {type(doc).__name__}")
    return form.blocks(doc)
