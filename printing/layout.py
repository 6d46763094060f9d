"""Documents to blocks, in the wording of the Circular 03/2025 forms."""

from __future__ import annotations

from counter.timeutil import fmt_vn

from .blocks import QR, Big, Block, Column, Rule, Space, Table, kv, para
from .documents import (
    Document,
    ExtensionData,
    ReceiptData,
    RefusalData,
    SelfTestPage,
    StopData,
    SupplementData,
    TicketData,
)
from .testpage import self_test_blocks

ONE_STOP = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"


def money(amount: int) -> str:
    """50000 -> '50.000 đồng' (Vietnamese groups thousands with dots)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def _header(agency: str, centre: str, form_number: str) -> list[Block]:
    out: list[Block] = []
    if agency:
        out.append(para(agency.upper(), bold=True, align="center"))
    if centre:
        out.append(para(centre, align="center", size="small"))
    out.append(para(ONE_STOP, bold=True, align="center"))
    if form_number:  # the 2018 numbering has no number for some forms
        out.append(para(f"Mẫu số {form_number}", align="right", size="small"))
    return out


def _signatures(left: str, right: str, left_name: str, right_name: str) -> Table:
    """Two signature blocks side by side, as the paper forms set them."""
    cols = (Column(left, 1.0, "center"), Column(right, 1.0, "center"))
    hint = "(Ký, ghi rõ họ tên)"
    return Table(cols, ((hint, hint), ("", ""), ("", ""), (left_name, right_name)))


def _place_date(text: str) -> list[Block]:
    return [para(text, align="right", size="small")] if text else []


def _numbered(items: tuple[str, ...]) -> list[Block]:
    return [para(f"{i}. {item}") for i, item in enumerate(items, 1)]


def receipt(d: ReceiptData) -> list[Block]:
    out = _header(d.agency_name, d.centre, d.form_number)
    if d.reprint:
        out.append(para("BẢN IN LẠI", bold=True, align="center", size="large"))
    if d.copy_label:
        out.append(para(d.copy_label, align="center", size="small"))
    if d.number:
        out.append(para(f"Số: {d.number}", align="center", size="small"))
    out += _place_date(d.place_date)
    out += [
        Rule(),
        para("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ", bold=True, align="center", size="large"),
        Space(),
        para("Mã hồ sơ", align="center", size="small"),
        Big(d.code, scale=1.3),
        Rule(dashed=True),
        kv("Tiếp nhận hồ sơ của", d.applicant_name, bold_value=True),
        kv("Số định danh cá nhân/tổ chức", d.applicant_id),
    ]
    if d.applicant_address:
        out.append(kv("Địa chỉ", d.applicant_address))
    if d.applicant_phone:
        out.append(kv("Điện thoại", d.applicant_phone))
    if d.applicant_email:
        out.append(kv("Thư điện tử", d.applicant_email))
    if d.representative_name:
        out.append(kv("Người được ủy quyền", d.representative_name))
        if d.representative_id:
            out.append(kv("  Số định danh cá nhân", d.representative_id))
        if d.representative_phone:
            out.append(kv("  Điện thoại", d.representative_phone))
        if d.representative_paper:
            out.append(kv("  Giấy ủy quyền", d.representative_paper))
    procedure = d.procedure_name + (f" (mã {d.procedure_code})" if d.procedure_code else "")
    out.append(kv("Nội dung yêu cầu giải quyết", procedure))
    out.append(para("1. Thành phần hồ sơ nộp gồm:", bold=True))
    if d.documents:
        cols = (
            Column("TT", 1.0, "center"),
            Column("Tên giấy tờ", 5.0),
            Column("Bản chính/ bản sao", 2.6, "center"),
            Column("SL", 1.1, "center"),
        )
        rows = tuple(
            (str(i), name, form, f"{count:02d}")
            for i, (name, form, count) in enumerate(d.documents, 1)
        )
        out.append(Table(cols, rows))
    out.append(kv("2. Số lượng hồ sơ", f"{d.sets_count:02d} bộ"))
    if d.duration_text:
        out.append(kv("3. Thời gian giải quyết theo quy định", d.duration_text))
    out += [
        kv("4. Thời gian nhận hồ sơ", fmt_vn(d.received_at)),
        kv("5. Thời gian trả kết quả", fmt_vn(d.due_at), bold_value=True),
        kv("6. Đăng ký nhận kết quả tại", d.delivery_label),
    ]
    fee = money(d.fee_amount) if d.fee_amount else "Không"
    if d.fee_amount and d.payment_label:
        fee += f" ({d.payment_label})"
    out.append(kv("Phí, lệ phí", fee))
    officer = ", ".join(
        p
        for p in (d.officer_name, f"quầy số {d.counter_no}" if d.counter_no is not None else "")
        if p
    )
    if officer:
        out.append(kv("Người tiếp nhận", officer))
    out.append(para("Vào Sổ theo dõi hồ sơ, Quyển số: ........ Số thứ tự: ........", size="small"))
    out += [
        Space(),
        _signatures("NGƯỜI NỘP HỒ SƠ", "NGƯỜI TIẾP NHẬN HỒ SƠ", "", d.officer_name),
        Rule(),
        QR(d.lookup_url, "Quét mã QR để tra cứu tiến độ giải quyết hồ sơ"),
    ]
    if d.lookup_website:
        out.append(para(f"Tra cứu tại: {d.lookup_website}", align="center", size="small"))
    if d.hotline:
        out.append(para(f"Đường dây nóng: {d.hotline}", align="center", size="small"))
    if d.vietqr_payload:  # only while the fee is to be paid by transfer
        out += [Rule(dashed=True), QR(d.vietqr_payload, "Quét mã để nộp phí qua ngân hàng")]
        if d.fee_amount:
            out.append(para(f"Số tiền: {money(d.fee_amount)}", bold=True, align="center"))
    out += [
        Rule(),
        para("Khi đến nhận kết quả, mang theo Giấy này", bold=True, align="center"),
    ]
    return out


def ticket(d: TicketData) -> list[Block]:
    out: list[Block] = [
        para(d.centre, bold=True, align="center", size="small"),
        Rule(),
        para("SỐ THỨ TỰ CỦA ÔNG/BÀ", align="center"),
        Big(d.number),
        para(d.area_name, bold=True, align="center"),
    ]
    if d.counter_no is not None:
        out.append(para(f"Mời đến quầy số {d.counter_no}", bold=True, align="center"))
    ahead = "Không có ai" if d.people_ahead == 0 else f"Có {d.people_ahead} người"
    out += [
        para(f"{ahead} đang chờ trước Ông/Bà", align="center"),
        para(f"Lấy số lúc {fmt_vn(d.issued_at)}", align="center", size="small"),
        Rule(dashed=True),
        para("Vui lòng chờ đến khi được gọi số", align="center", size="small"),
    ]
    return out


def supplement(d: SupplementData) -> list[Block]:
    out = _header(d.agency_name, "", d.form_number)
    out += _place_date(d.place_date)
    out += [
        Rule(),
        para("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ", bold=True, align="center", size="large"),
        Space(),
        kv("Mã hồ sơ", d.code, bold_value=True),
        kv("Người nộp hồ sơ", d.applicant),
        kv("Thủ tục", d.procedure),
        para("Nội dung yêu cầu bổ sung, hoàn thiện:", bold=True),
        *_numbered(d.items),
        kv("Lý do", d.reason),
        kv("Người tiếp nhận", d.officer),
        kv("Thời gian", fmt_vn(d.at)),
    ]
    if d.at_intake:
        out.append(
            para(
                "Hồ sơ chưa được tiếp nhận. Đề nghị Ông/Bà bổ sung, hoàn thiện hồ sơ theo "
                "hướng dẫn trên và nộp lại.",
                bold=True,
            )
        )
    else:
        out.append(
            para(
                "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết; ngày hẹn trả "
                "kết quả được tính lại khi nhận đủ hồ sơ bổ sung.",
                size="small",
            )
        )
    if d.hotline:
        out.append(para(f"Mọi vướng mắc xin liên hệ: {d.hotline}", align="center", size="small"))
    out += [Rule(), para("Xin lỗi Ông/Bà vì sự bất tiện này", align="center", size="small")]
    return out


def extension(d: ExtensionData) -> list[Block]:
    """Mẫu 04: the apology comes first, then the reason and the new appointment."""
    out = _header(d.agency_name, "", d.form_number)
    out += _place_date(d.place_date)
    out += [
        Rule(),
        para("PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ", bold=True, align="center", size="large"),
        Space(),
        kv("Mã hồ sơ", d.code, bold_value=True),
        kv("Kính gửi", d.applicant),
        kv("Thủ tục", d.procedure),
        kv("Ngày hẹn trả kết quả cũ", fmt_vn(d.old_due_at)),
        kv("Lý do chậm trễ", d.reason),
        para(
            "Cơ quan giải quyết xin lỗi Ông/Bà vì sự chậm trễ này và hẹn lại thời gian trả "
            "kết quả:",
        ),
        para(fmt_vn(d.new_due_at), bold=True, align="center", size="large"),
        kv("Người lập phiếu", d.officer),
    ]
    if d.hotline:
        out.append(para(f"Mọi vướng mắc xin liên hệ: {d.hotline}", align="center", size="small"))
    out += [Rule(), para("Khi đến nhận kết quả, mang theo Phiếu này", align="center")]
    return out


def stop(d: StopData) -> list[Block]:
    """Mẫu 05: why the dossier is no longer being processed."""
    out = _header(d.agency_name, "", d.form_number)
    out += _place_date(d.place_date)
    out += [
        Rule(),
        para("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ", bold=True, align="center", size="large"),
        Space(),
        kv("Mã hồ sơ", d.code, bold_value=True),
        kv("Kính gửi", d.applicant),
        kv("Thủ tục", d.procedure),
        para(
            "Theo đề nghị rút hồ sơ của Ông/Bà, cơ quan dừng giải quyết hồ sơ này."
            if d.withdrawn
            else "Cơ quan dừng giải quyết hồ sơ này.",
        ),
        kv("Lý do", d.reason),
        kv("Người lập", d.officer),
        kv("Thời gian", fmt_vn(d.at)),
    ]
    return out


def refusal(d: RefusalData) -> list[Block]:
    out = _header(d.agency_name, "", d.form_number)
    out += _place_date(d.place_date)
    out += [
        Rule(),
        para("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ", bold=True, align="center", size="large"),
        Space(),
    ]
    if d.code:
        out.append(kv("Mã hồ sơ", d.code, bold_value=True))
    out += [
        kv("Người nộp hồ sơ", d.applicant),
        kv("Thủ tục", d.procedure),
        para("Lý do từ chối:", bold=True),
        *_numbered(d.reasons),
        kv("Người tiếp nhận", d.officer),
        kv("Thời gian", fmt_vn(d.at)),
        Rule(),
        para("Xin lỗi Ông/Bà vì sự bất tiện này", align="center", size="small"),
    ]
    return out


def layout(doc: Document) -> list[Block]:
    """The blocks of any printable document."""
    if isinstance(doc, ReceiptData):
        return receipt(doc)
    if isinstance(doc, TicketData):
        return ticket(doc)
    if isinstance(doc, SupplementData):
        return supplement(doc)
    if isinstance(doc, RefusalData):
        return refusal(doc)
    if isinstance(doc, ExtensionData):
        return extension(doc)
    if isinstance(doc, StopData):
        return stop(doc)
    if isinstance(doc, SelfTestPage):
        return self_test_blocks(doc)
    raise TypeError(f"not a printable document: {type(doc).__name__}")
