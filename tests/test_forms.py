"""Every form the one-stop section issues, at the moment it is issued (DOMAIN §2).

Mẫu 02 / 03 at intake instead of a receipt, Mẫu 02 after acceptance, Mẫu 04 (once, before the
appointment passes), Mẫu 05 on withdraw and stop; Mẫu 01 complete; the fee as it really is.
Each form is a print job saved with the dossier (rendered here to real ESC/POS bytes at both
paper widths), an outbox entry for the portal, and counted in the figures and the book.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from counter import exports, stats
from counter.config import parse_config
from counter.desk import Desk
from counter.documents import Document, document_from_fields
from counter.dossiers import DossierDraft, Representative
from counter.errors import IllegalTransition, InvalidInput
from counter.receipts import fee_vietqr
from counter.spool import PrintJob
from counter.timeutil import VN_TZ
from printing.layout import layout
from printing.render import render_job
from printing.spool_worker import build_documents
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock
from tests.support.config import make_config

RESIDENCE = "1.004194"  # 3 working days, fee 15 000 đ


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


def counts(desk: Desk) -> tuple[int, ...]:
    q = desk.store.conn.execute
    return tuple(
        q(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("dossiers", "dossier_events", "audit", "outbox", "print_jobs")
    )


def incomplete_draft(desk: Desk) -> DossierDraft:
    """A draft whose first required paper is not ticked as received."""
    draft = draft_for(desk, RESIDENCE)
    docs = list(draft.documents)
    first = next(i for i, d in enumerate(docs) if d.required)
    docs[first] = replace(docs[first], received=False)
    return replace(draft, documents=tuple(docs))


def jobs(desk: Desk, uuid: str) -> list[PrintJob]:
    return desk.print_jobs(uuid)


def block_text(kind: str, document: dict | Document) -> str:
    """Every word a document prints, from its layout blocks (a typed document, or the fields
    a print job stored)."""
    doc = document_from_fields(kind, document) if isinstance(document, dict) else document
    out = []
    for block in layout(doc):
        spans = getattr(block, "spans", None)
        if spans is not None:
            out.append("".join(s.text for s in spans))
        elif hasattr(block, "rows"):
            out += [c.header for c in block.columns]
            out += [cell for row in block.rows for cell in row]
        elif hasattr(block, "caption"):  # a QR code: its caption is printed under it
            out.append(block.caption)
        elif hasattr(block, "text"):
            out.append(block.text)
    return "\n".join(out)


def last_outbox(desk: Desk) -> dict:
    row = desk.store.conn.execute("SELECT payload FROM outbox ORDER BY seq DESC LIMIT 1")
    return json.loads(row.fetchone()[0])


# -- Mẫu 02 / 03 at intake ------------------------------------------------------------------


def test_missing_papers_point_to_the_forms_the_app_can_issue(officer_desk: Desk) -> None:
    before = counts(officer_desk)
    with pytest.raises(InvalidInput) as exc:
        officer_desk.receive(incomplete_draft(officer_desk))
    assert "Mẫu 02" in exc.value.message("vi") and "Mẫu 03" in exc.value.message("vi")
    assert counts(officer_desk) == before


def test_mau_02_at_intake_instead_of_a_receipt(officer_desk: Desk, clock: FrozenClock) -> None:
    draft = incomplete_draft(officer_desk)
    missing = next(d.name for d in draft.documents if d.required and not d.received)
    before = counts(officer_desk)
    d = officer_desk.decline_at_intake(draft, "supplement")
    assert counts(officer_desk) == tuple(n + 1 for n in before)  # row, event, audit, outbox, job
    assert (d.status, d.status_code, d.accepted, d.due_at) == ("incomplete", 3, False, None)
    assert missing in d.supplement_request
    assert (d.fee_amount, d.payment_state) == (0, "none")
    assert d.timeliness(clock.now) is None
    [job] = jobs(officer_desk, d.uuid)  # the slip, and no receipt
    assert job.kind == "supplement" and job.document["at_intake"] is True
    assert job.document["form_number"] == "02" and missing in job.document["items"]
    text = block_text(job.kind, job.document)
    assert "PHIẾU YÊU CẦU BỔ SUNG" in text and "chưa được tiếp nhận" in text
    assert "Hẹn trả" not in text and "Thời gian trả kết quả" not in text
    sent = last_outbox(officer_desk)
    assert sent["event"]["action"] == "intake_supplement"
    assert sent["dossier"]["due_at"] == "" and sent["dossier"]["supplement_request"]
    with pytest.raises(ValueError):  # a dossier turned away has no Mẫu 01
        officer_desk.receipt_fields(d)


def test_mau_03_at_intake_is_counted_and_in_the_book(officer_desk: Desk) -> None:
    d = officer_desk.decline_at_intake(
        draft_for(officer_desk, RESIDENCE),
        "refusal",
        reason="Không thuộc thẩm quyền\nĐã có kết quả giải quyết",
    )
    assert (d.status, d.due_at) == ("refused", None)
    [job] = jobs(officer_desk, d.uuid)
    assert job.kind == "refusal"
    assert job.document["reasons"] == ["Không thuộc thẩm quyền", "Đã có kết quả giải quyết"]
    assert "PHIẾU TỪ CHỐI" in block_text(job.kind, job.document)
    day = officer_desk.now().date()
    figures = stats.compute_figures(
        officer_desk.store, officer_desk.calendar, day, day, officer_desk.now(), groups=()
    )
    assert figures.counts["received"] == 1 and figures.counts["refused"] == 1
    agencies = {p.code: p.deciding_agency for p in officer_desk.catalogue}
    [row] = list(exports.book_rows(officer_desk.store, agencies, day, day))
    assert row[1] == d.code and row[7] is None  # no appointment in the book
    assert "Không thuộc thẩm quyền" in row[-1]


@pytest.mark.parametrize(
    ("form", "details", "field"),
    [
        ("refusal", {"reason": "  "}, "reason"),
        ("letter", {"reason": "x"}, "form"),
    ],
)
def test_bad_intake_decisions_change_nothing(
    officer_desk: Desk, form: str, details: dict, field: str
) -> None:
    before = counts(officer_desk)
    with pytest.raises(InvalidInput) as exc:
        officer_desk.decline_at_intake(draft_for(officer_desk, RESIDENCE), form, **details)
    assert exc.value.field == field
    assert counts(officer_desk) == before


def test_intake_decisions_still_check_who_applies(officer_desk: Desk) -> None:
    draft = draft_for(officer_desk, RESIDENCE)
    bad = replace(draft, applicant=replace(draft.applicant, id_number="123"))
    before = counts(officer_desk)
    with pytest.raises(InvalidInput):
        officer_desk.decline_at_intake(bad, "supplement")
    assert counts(officer_desk) == before


# -- Mẫu 02 after acceptance: the clock pauses -------------------------------------------------


def test_mau_02_after_acceptance_is_kept_and_pauses_the_clock(
    officer_desk: Desk, clock: FrozenClock
) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    d = officer_desk.act(
        d.uuid, "request_supplement", items=["Bản sao sổ đỏ"], reason="Thiếu giấy tờ nhà"
    )
    assert d.supplement_request == "Bản sao sổ đỏ\nThiếu giấy tờ nhà"
    assert d.timeliness(vn(2027, 1, 1)) is None  # paused: never overdue while waiting
    job = jobs(officer_desk, d.uuid)[-1]
    assert job.kind == "supplement" and job.document["at_intake"] is False
    assert "không tính vào thời hạn" in block_text(job.kind, job.document)
    assert last_outbox(officer_desk)["dossier"]["supplement_request"]


# -- Mẫu 04: apology and new appointment -------------------------------------------------------


def test_mau_04_moves_the_appointment_once(officer_desk: Desk, clock: FrozenClock) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    assert d.due_at == vn(2026, 12, 1, 9, 30)
    d = officer_desk.act(d.uuid, "extend", new_day="03/12/2026", reason="Chờ xác minh")
    assert d.due_at == vn(2026, 12, 3, 8) == d.extended_due_at
    assert d.extension_reason == "Chờ xác minh" and d.status == "received"
    job = jobs(officer_desk, d.uuid)[-1]
    assert job.kind == "extension" and job.document["form_number"] == "04"
    text = block_text(job.kind, job.document)
    assert "XIN LỖI" in text and "03/12/2026" in text and "Chờ xác minh" in text
    # Every view now uses the new date: due today on 3/12, not overdue on 2/12.
    assert d.timeliness(vn(2026, 12, 2, 16)) == "on_track"
    assert d.timeliness(vn(2026, 12, 3, 16)) == "due_today"
    sent = last_outbox(officer_desk)["dossier"]
    assert sent["due_at"] == sent["extended_due_at"] == "2026-12-03T08:00:00+07:00"
    before = counts(officer_desk)
    with pytest.raises(InvalidInput, match="một lần"):
        officer_desk.act(d.uuid, "extend", new_day="07/12/2026", reason="Lần hai")
    assert counts(officer_desk) == before


@pytest.mark.parametrize(
    ("now", "new_day", "field"),
    [
        (vn(2026, 11, 26, 9, 30), "05/12/2026", "new_day"),  # a Saturday
        (vn(2026, 11, 26, 9, 30), "30/11/2026", "new_day"),  # before the old appointment
        (vn(2026, 11, 26, 9, 30), "3/12", "new_day"),  # not dd/mm/yyyy
        (vn(2026, 12, 1, 10), "03/12/2026", "new_day"),  # the old appointment has passed
    ],
)
def test_bad_mau_04_changes_nothing(
    officer_desk: Desk, clock: FrozenClock, now: datetime, new_day: str, field: str
) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    clock.now = now
    before = counts(officer_desk)
    with pytest.raises(InvalidInput) as exc:
        officer_desk.act(d.uuid, "extend", new_day=new_day, reason="Chờ xác minh")
    assert exc.value.field == field
    assert counts(officer_desk) == before
    assert officer_desk.get(d.uuid).due_at == d.due_at


def test_mau_04_only_while_the_clock_runs(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    officer_desk.act(d.uuid, "result_ready")
    with pytest.raises(IllegalTransition):
        officer_desk.act(d.uuid, "extend", new_day="03/12/2026", reason="x")


# -- Mẫu 05 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["withdraw", "stop"])
def test_mau_05_prints_on_withdraw_and_stop(officer_desk: Desk, action: str) -> None:
    d = officer_desk.receive(draft_for(officer_desk, RESIDENCE))
    d = officer_desk.act(d.uuid, action, reason="Công dân đề nghị")
    job = jobs(officer_desk, d.uuid)[-1]
    assert job.kind == "stop" and job.document["form_number"] == "05"
    assert job.document["withdrawn"] is (action == "withdraw")
    text = block_text(job.kind, job.document)
    assert "THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ" in text and "Công dân đề nghị" in text
    assert "Mẫu số 05" in text


def test_2018_numbering_is_configurable(tmp_path: Path, clock: FrozenClock) -> None:
    config = make_config(tmp_path, forms={"numbering": "2018"})
    desk = Desk.open(config, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    try:
        d = desk.receive(draft_for(desk, RESIDENCE))
        d = desk.act(d.uuid, "stop", reason="Theo yêu cầu")
        receipt, stop = jobs(desk, d.uuid)
        assert receipt.document["form_number"] == "01"
        assert stop.document["form_number"] == ""  # the 2018 forms had no stop notice number
        assert "Mẫu số" not in block_text(stop.kind, stop.document)
        assert config.forms.number("book") == "06"
    finally:
        desk.close()


def test_bad_forms_config_is_reported() -> None:
    from counter.config import ConfigError

    with pytest.raises(ConfigError, match="numbering"):
        parse_config({"forms": {"numbering": "2020"}})
    with pytest.raises(ConfigError, match="csv_separator"):
        parse_config({"exports": {"csv_separator": "|"}})


# -- Mẫu 01 complete ---------------------------------------------------------------------------


def test_mau_01_has_every_field_that_fits_on_a_roll(officer_desk: Desk) -> None:
    draft = draft_for(officer_desk, RESIDENCE)
    draft = replace(
        draft,
        applicant=replace(draft.applicant, email="duc@example.vn"),
        representative=Representative(
            "Lê Thị Hoa", "001190054321", "0987 654 321", "Giấy ủy quyền số 12/UQ"
        ),
    )
    d = officer_desk.receive(draft)
    [job] = jobs(officer_desk, d.uuid)
    text = block_text("receipt", job.document)
    for expected in (
        "Số: 261126-030001",
        "Hà Nội, ngày 26 tháng 11 năm 2026",
        "Mẫu số 01",
        "Số 5 Hàng Bạc",
        "duc@example.vn",
        "Lê Thị Hoa",
        "0987654321",
        "Giấy ủy quyền số 12/UQ",
        "Vào Sổ theo dõi hồ sơ, Quyển số",
        "Số thứ tự",
        "NGƯỜI NỘP HỒ SƠ",
        "NGƯỜI TIẾP NHẬN HỒ SƠ",
        "Trần Thị Mai",
        "Khi đến nhận kết quả, mang theo Giấy này",
    ):
        assert expected in text, expected
    assert "001190054321" not in text  # the representative's ID is masked like the applicant's


def test_two_copies_are_labelled_lien(tmp_path: Path, clock: FrozenClock) -> None:
    config = make_config(tmp_path, printer={"copies": 2})
    desk = Desk.open(config, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    try:
        d = desk.receive(draft_for(desk, RESIDENCE))
        [job] = jobs(desk, d.uuid)
        docs = build_documents(job)
        labels = [getattr(doc, "copy_label", None) for doc in docs]
        assert len(docs) == 2 and all(label and "Liên" in label for label in labels)
    finally:
        desk.close()


def _all_forms(desk: Desk) -> list[PrintJob]:
    """One dossier through every form: Mẫu 01, 02, 04, 05, and 02 / 03 at intake."""
    d = desk.receive(draft_for(desk, RESIDENCE, payment_method="transfer"))
    desk.act(d.uuid, "request_supplement", items=["Giấy A"], reason="Thiếu")
    desk.act(d.uuid, "supplement")
    desk.act(d.uuid, "extend", new_day="07/12/2026", reason="Chờ xác minh")
    desk.act(d.uuid, "withdraw", reason="Công dân rút")
    a = desk.decline_at_intake(incomplete_draft(desk), "supplement")
    b = desk.decline_at_intake(draft_for(desk, RESIDENCE), "refusal", reason="Không đủ điều kiện")
    return jobs(desk, d.uuid) + jobs(desk, a.uuid) + jobs(desk, b.uuid)


@pytest.mark.parametrize("width", [576, 384])
@pytest.mark.parametrize("mode", ["raster", "text-tcvn3"])
def test_every_form_prints_at_both_widths(officer_desk: Desk, width: int, mode: str) -> None:
    printed = _all_forms(officer_desk)
    kinds = {j.kind for j in printed}
    assert kinds == {"receipt", "supplement", "extension", "stop", "refusal"}
    printer = replace(officer_desk.config.printers[0], paper_width_dots=width, mode=mode)
    for job in printed:
        for doc in build_documents(job):
            data = render_job(doc, printer).data
            assert data.startswith(b"\x1b@") and len(data) > 200, job.kind


# -- fees that tell the truth ---------------------------------------------------------------------


def test_cash_is_never_asked_again(tmp_path: Path, clock: FrozenClock) -> None:
    config = make_config(tmp_path, bank={"bin": "970415", "account": "113366668888"})
    desk = Desk.open(config, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    try:
        cash = desk.receive(draft_for(desk, RESIDENCE, payment_method="cash"))
        transfer = desk.receive(draft_for(desk, RESIDENCE, payment_method="transfer"))
        exempt = desk.receive(draft_for(desk, RESIDENCE, payment_method="exempt"))
        assert [x.payment_state for x in (cash, transfer, exempt)] == [
            "paid_cash",
            "to_pay_transfer",
            "exempt",
        ]
        assert fee_vietqr(config, cash) is None and fee_vietqr(config, exempt) is None
        assert fee_vietqr(config, transfer)
        cash_doc = desk.receipt_fields(cash)
        assert cash_doc.vietqr_payload is None
        assert "tiền mặt" in cash_doc.payment_label
        assert "Quét mã để nộp phí" not in block_text("receipt", cash_doc)
        assert "Quét mã để nộp phí" in block_text("receipt", desk.receipt_fields(transfer))
        # The transfer arrives: the receipt and the portal stop asking for it.
        paid = desk.confirm_transfer(transfer.uuid)
        assert paid.payment_state == "paid_transfer"
        assert desk.receipt_fields(paid).vietqr_payload is None
        assert last_outbox(desk)["dossier"]["payment_state"] == "paid_transfer"
        before = counts(desk)
        with pytest.raises(InvalidInput):
            desk.confirm_transfer(cash.uuid)
        assert counts(desk) == before
        day = desk.now().date()
        fees = stats.fee_figures(desk.store, day, day)
        assert fees.count["paid_cash"] == 1 and fees.count["paid_transfer"] == 1
        assert fees.count["exempt"] == 1
        assert (fees.cash, fees.cashless) == (15000, 15000)
        assert fees.cashless_share == pytest.approx(0.5)
    finally:
        desk.close()


def test_statistics_workbook_shows_fees_by_method(officer_desk: Desk) -> None:
    officer_desk.receive(draft_for(officer_desk, RESIDENCE, payment_method="cash"))
    officer_desk.receive(draft_for(officer_desk, RESIDENCE, payment_method="transfer"))
    day = officer_desk.now().date()
    tables = exports.stats_tables(
        officer_desk.store, officer_desk.calendar, day, day, officer_desk.now()
    )
    summary = dict((str(r[0]), r[1]) for r in tables[0][3])
    assert summary[exports.CASHLESS_HEADER] == 0.5
    assert summary["Mục tiêu thanh toán không dùng tiền mặt"] == 1.0
    _, _, headers, rows = tables[1]
    assert headers[-1] == exports.CASHLESS_HEADER and rows[0][-3:] == [15000, 15000, 0.5]


# -- the book opens right in Vietnamese Excel --------------------------------------------------


@pytest.mark.parametrize("separator", [";", ","])
def test_book_csv_reads_back_with_the_configured_separator(
    tmp_path: Path, clock: FrozenClock, separator: str
) -> None:
    config = make_config(tmp_path, exports={"csv_separator": separator})
    desk = Desk.open(config, clock=clock)
    desk.create_officer("giamsat", "Phạm Văn Giám", "supervisor", "567856")
    desk.login("giamsat", "567856")
    try:
        # An address with both separators in it must survive the round trip.
        draft = draft_for(desk, RESIDENCE)
        draft = replace(draft, applicant=replace(draft.applicant, address="Số 5; ngõ 7, Hà Nội"))
        desk.receive(draft)
        day = desk.now().date()
        result = exports.export(
            desk, exports.ExportRequest(day, day, tmp_path / "out", formats=("csv",))
        )
        raw = result.files[0].path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=separator))
        assert rows[0] == list(exports.BOOK_HEADERS)
        assert len(rows) == 2 and len(rows[1]) == len(exports.BOOK_HEADERS)
        assert "Số 5; ngõ 7, Hà Nội" in rows[1][4]
        if separator == ";":  # what Vietnamese Excel does: split the header line on ";"
            assert text.splitlines()[0].split(";") == list(exports.BOOK_HEADERS)
    finally:
        desk.close()


def test_default_separator_is_the_vietnamese_one() -> None:
    assert parse_config({}).exports.csv_separator == ";"


def test_every_form_an_action_issues_can_be_printed() -> None:
    """The class of "tagged Mẫu 05 but prints nothing": each form kind an action names has a
    print-job kind, a printable document and a number in both numberings."""
    from counter import spool
    from counter.config import FORM_NUMBERINGS
    from counter.documents import DOCUMENT_KINDS
    from counter.lifecycle import ACTIONS

    forms = {a.form for a in ACTIONS.values() if a.form}
    assert forms == {"receipt", "supplement", "refusal", "extension", "stop"}
    for form in forms:
        assert form in spool.JOB_KINDS and form in DOCUMENT_KINDS, form
        assert all(form in numbers for numbers in FORM_NUMBERINGS.values()), form
    # ... and test_every_form_prints_at_both_widths renders each of them to ESC/POS bytes.
