"""Dossiers: the draft an officer fills, its validation, and the saved record.

A draft is checked field by field (InvalidInput names the field) before anything is written;
the saved `Dossier` is rebuilt from its row so screens and printing never see SQLite.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from counter import validation
from counter.catalogue import Procedure
from counter.errors import InvalidInput
from counter.i18n import PAYMENT_STATE_LABELS, pick
from counter.lifecycle import STATUSES
from counter.text import fold, nfc
from counter.timeliness import Timeliness, timeliness
from counter.timeutil import parse_iso, system_clock

PAYMENT_METHODS = {
    "cash": ("Tiền mặt", "Cash"),
    "transfer": ("Chuyển khoản / VietQR", "Bank transfer / VietQR"),
    "exempt": ("Miễn phí, lệ phí", "Exempt"),
}
# What the citizen has done about the fee; the receipt, the VietQR, the portal page, the
# supervisor's fees by method all read this one field (agreed name `payment_state`).
PAYMENT_STATES = PAYMENT_STATE_LABELS  # the words live in counter/i18n.py
CASHLESS_STATES = ("paid_transfer", "to_pay_transfer")


def payment_state(payment_method: str, fee_amount: int) -> str:
    """The state at intake: cash is taken at the counter, a transfer is still to be paid."""
    if payment_method == "exempt":
        return "exempt"
    if fee_amount <= 0:
        return "none"
    return "paid_cash" if payment_method == "cash" else "to_pay_transfer"


def payment_state_label(state: str, lang: str = "vi") -> str:
    return pick(PAYMENT_STATES.get(state, (state, state)), lang)


APPLICANT_KINDS = ("person", "organisation")

# Sex as the chip ID card prints it (Vietnamese, English); what the officer may type is any
# of these, with or without diacritics, or the first letter.
SEXES = {"male": ("Nam", "Male"), "female": ("Nữ", "Female")}
_SEX_WORDS = {
    **{w: key for key, names in SEXES.items() for w in (fold(names[0]), fold(names[1]))},
    "m": "male",
    "f": "female",
}
OLDEST_BIRTH_YEAR = 1900


def sex_label(sex: str, lang: str) -> str:
    """The applicant's sex in the officer's language ("" when not recorded)."""
    names = SEXES.get(sex)
    return "" if names is None else pick(names, lang)


def parse_sex(raw: str, field: str = "applicant.sex") -> str:
    """ "Nam"/"Nữ" (as typed, as on the card, or "nu", "male", "f"…) → "male"/"female"; ""
    stays "" (not given)."""
    text = fold(nfc(raw).strip())
    if not text:
        return ""
    if text in _SEX_WORDS:
        return _SEX_WORDS[text]
    if text == "n":  # Nam or Nữ: say which
        raise InvalidInput(field, "Gõ “Nam” hoặc “Nữ”", "Type “Male” or “Female”")
    raise InvalidInput(
        field,
        f"Giới tính “{nfc(raw).strip()}” không hợp lệ: gõ “Nam” hoặc “Nữ”",
        f"Sex “{nfc(raw).strip()}” is not valid: type “Male” or “Female”",
    )


def parse_birth_date(raw: str, field: str = "applicant.birth_date", *, today: date) -> str:
    """A birth date typed as dd/mm/yyyy (also dd-mm-yyyy, dd.mm.yyyy, ddmmyyyy, or the ISO
    yyyy-mm-dd a draft keeps) → ISO yyyy-mm-dd; "" stays "" (not given). An impossible date
    (31/02), one in the future or before 1900 is refused with what was typed."""
    text = nfc(raw).strip()
    if not text:
        return ""
    shown = text
    try:
        if len(text) == 10 and text[4] == "-" and text[7] == "-":
            born = date.fromisoformat(text)
        else:
            parts = text.replace("-", "/").replace(".", "/").split("/")
            if len(parts) == 1 and len(text) == 8 and text.isdigit():
                parts = [text[:2], text[2:4], text[4:]]
            if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[2]) != 4:
                raise ValueError(text)
            born = date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        raise InvalidInput(
            field,
            f"Ngày sinh “{shown}” không phải một ngày có thật (dạng ngày/tháng/năm, "
            "ví dụ 15/08/2003)",
            f"Date of birth “{shown}” is not a real date (day/month/year, e.g. 15/08/2003)",
        ) from None
    if born > today:
        raise InvalidInput(
            field,
            f"Ngày sinh {born:%d/%m/%Y} chưa tới (hôm nay là {today:%d/%m/%Y})",
            f"Date of birth {born:%d/%m/%Y} is in the future (today is {today:%d/%m/%Y})",
        )
    if born.year < OLDEST_BIRTH_YEAR:
        raise InvalidInput(
            field,
            f"Ngày sinh {born:%d/%m/%Y} quá xa: vui lòng kiểm tra lại",
            f"Date of birth {born:%d/%m/%Y} is too far back: please check it",
        )
    return born.isoformat()


def fmt_birth_date(iso_date: str) -> str:
    """ISO → dd/mm/yyyy, as printed on the card and typed at the counter ("" stays "")."""
    return f"{date.fromisoformat(iso_date):%d/%m/%Y}" if iso_date else ""


def check_birth_matches_id(birth_date: str, sex: str, id_number: str) -> None:
    """The 12-digit number encodes the birth year and the sex (digits 4–6): a date of birth or
    a sex that disagrees with it is a typing slip in one of them."""
    if birth_date and int(birth_date[:4]) != validation.birth_year(id_number):
        raise InvalidInput(
            "applicant.birth_date",
            f"Năm sinh {birth_date[:4]} không khớp với số định danh "
            f"(năm {validation.birth_year(id_number)}): kiểm tra lại một trong hai",
            f"Birth year {birth_date[:4]} does not match the identification number "
            f"({validation.birth_year(id_number)}): check one of them",
        )
    encoded = "female" if int(id_number[3]) % 2 else "male"
    if sex and sex != encoded:
        raise InvalidInput(
            "applicant.sex",
            f"Giới tính không khớp với số định danh ({SEXES[encoded][0]}): kiểm tra lại",
            f"Sex does not match the identification number ({SEXES[encoded][1]}): check it",
        )


@dataclass(frozen=True)
class DocumentItem:
    name: str
    form: str
    count: int = 1
    received: bool = True
    required: bool = True


@dataclass(frozen=True)
class Applicant:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    kind: str = "person"
    birth_date: str = ""  # ISO YYYY-MM-DD, "" when not given (a person only)
    sex: str = ""  # a key of SEXES, "" when not given (a person only)


@dataclass(frozen=True)
class Representative:
    name: str
    id_number: str = ""
    phone: str = ""
    paper: str = ""  # the authorisation paper (giấy ủy quyền …)


@dataclass(frozen=True)
class DossierDraft:
    procedure_code: str
    applicant: Applicant
    documents: tuple[DocumentItem, ...]
    representative: Representative | None = None
    sets_count: int = 1
    payment_method: str = "cash"
    fee_amount: int | None = None  # None: the catalogue fee
    delivery: str = "counter"
    note: str = ""
    ticket: str = ""


def documents_from_procedure(procedure: Procedure) -> tuple[DocumentItem, ...]:
    """The checklist pre-filled from the catalogue: required items ticked, optional ones not."""
    return tuple(
        DocumentItem(d.name, d.form, d.count, received=d.required, required=d.required)
        for d in procedure.documents
    )


def validate_draft(
    draft: DossierDraft, procedure: Procedure, *, complete: bool = True, today: date | None = None
) -> DossierDraft:
    """Return the draft normalised (NFC, canonical numbers) or raise InvalidInput.

    `complete=False` checks a dossier the officer does not accept (Mẫu 02 / 03 at intake):
    who and what are checked as usual, the documents checklist is not required to be full.
    """
    validation.check_free_text(draft, "")  # every text field, present and future
    a = draft.applicant
    if a.kind not in APPLICANT_KINDS:
        raise InvalidInput("applicant.kind", "Loại người nộp không hợp lệ", "Bad applicant kind")
    if a.kind == "person":
        name = validation.person_name(a.name, "applicant.name")
        id_number = validation.national_id(a.id_number, "applicant.id_number")
    else:
        name = validation.organisation_name(a.name, "applicant.name")
        id_number = validation.tax_code(a.id_number, "applicant.id_number")
    birth_date = sex = ""
    if a.kind == "person":  # an organisation has neither; what a form left there is dropped
        birth_date = parse_birth_date(a.birth_date, today=today or system_clock().date())
        sex = parse_sex(a.sex)
        check_birth_matches_id(birth_date, sex, id_number)
    applicant = Applicant(
        kind=a.kind,
        name=name,
        id_number=id_number,
        phone=validation.optional(validation.phone, a.phone, "applicant.phone"),
        email=validation.optional(validation.email, a.email, "applicant.email"),
        address=validation.optional(validation.address, a.address, "applicant.address"),
        birth_date=birth_date,
        sex=sex,
    )
    rep = draft.representative
    if rep is not None and (rep.name.strip() or rep.id_number.strip() or rep.phone.strip()):
        rep = Representative(
            name=validation.person_name(rep.name, "representative.name"),
            id_number=validation.national_id(rep.id_number, "representative.id_number"),
            phone=validation.optional(validation.phone, rep.phone, "representative.phone"),
            paper=nfc(rep.paper),
        )
    else:
        rep = None
    docs = []
    for i, d in enumerate(draft.documents):
        if d.count < 1 or d.count > 99:
            raise InvalidInput(
                f"documents.{i}",
                f"Số lượng “{d.name}” phải từ 1 đến 99",
                f"Count of “{d.name}” must be 1–99",
            )
        docs.append(replace(d, name=nfc(d.name)))
    missing = missing_documents(tuple(docs))
    if missing and complete:
        raise InvalidInput(
            "documents",
            "Thiếu giấy tờ bắt buộc: "
            + "; ".join(missing)
            + ". Lập Phiếu yêu cầu bổ sung (Mẫu 02) hoặc Phiếu từ chối (Mẫu 03) thay cho"
            " giấy tiếp nhận.",
            "Required documents missing: "
            + "; ".join(missing)
            + ". Issue a supplement request (form 02) or a refusal (form 03) instead.",
        )
    if complete and not any(d.received for d in docs):
        raise InvalidInput(
            "documents", "Chưa đánh dấu giấy tờ nào đã nhận", "No document is marked as received"
        )
    if not 1 <= draft.sets_count <= 20:
        raise InvalidInput("sets_count", "Số bộ hồ sơ phải từ 1 đến 20", "Sets must be 1–20")
    if draft.payment_method not in PAYMENT_METHODS:
        raise InvalidInput(
            "payment_method", "Hình thức nộp phí không hợp lệ", "Unknown payment method"
        )
    fee = procedure.fee if draft.fee_amount is None else draft.fee_amount
    if draft.payment_method == "exempt":
        fee = 0
    if fee < 0 or fee > 100_000_000:
        raise InvalidInput("fee_amount", "Số tiền phí, lệ phí không hợp lệ", "Invalid fee amount")
    if draft.delivery not in procedure.delivery:
        raise InvalidInput(
            "delivery",
            "Thủ tục này không hỗ trợ hình thức nhận kết quả đã chọn",
            "This procedure does not offer that delivery option",
        )
    checked = replace(
        draft,
        applicant=applicant,
        representative=rep,
        documents=tuple(docs),
        fee_amount=fee,
        note=nfc(draft.note),
        ticket=nfc(draft.ticket).upper(),
    )
    return checked


def missing_documents(docs: tuple[DocumentItem, ...]) -> list[str]:
    """The required papers not ticked as received: what a Mẫu 02 at intake asks for."""
    return [d.name for d in docs if d.required and not d.received]


def search_text(code: str, applicant: Applicant, rep: Representative | None) -> str:
    """What the search index sees: folded names plus every form of code, ID and phone."""
    parts = [fold(applicant.name), code.lower()]
    tail = code.rsplit("-", 2)
    if len(tail) == 3:
        parts += [f"{tail[1]}-{tail[2]}", tail[2]]
    parts += [applicant.id_number, applicant.phone]
    if applicant.phone.startswith("0"):
        parts.append("84" + applicant.phone[1:])
    if rep:
        parts += [fold(rep.name), rep.id_number, rep.phone]
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Dossier:
    uuid: str
    code: str
    procedure_code: str
    procedure_name: str
    field: str
    applicant: Applicant
    representative: Representative | None
    documents: tuple[DocumentItem, ...]
    sets_count: int
    fee_amount: int
    payment_method: str
    delivery: str
    duration: float
    duration_unit: str
    status: str
    received_at: datetime
    due_at: datetime | None  # None: not accepted at intake (Mẫu 02 / 03), no appointment
    paused_at: datetime | None
    paused_from_status: str | None
    finished_at: datetime | None
    returned_at: datetime | None
    returned_to: str
    closed_reason: str
    officer_id: int
    counter_no: int
    device_id: str
    ticket: str
    note: str
    version: int
    officer_name: str = ""
    payment_state: str = "none"
    supplement_request: str = ""
    extended_due_at: datetime | None = None
    extension_reason: str = ""

    @property
    def status_code(self) -> int:
        return STATUSES[self.status].dvcqg

    def status_label(self, lang: str = "vi") -> str:
        s = STATUSES[self.status]
        return pick((s.vi, s.en), lang)

    def timeliness(self, now: datetime) -> Timeliness | None:
        """Early / on time / late, or on track / due today / overdue: `counter.timeliness`."""
        return timeliness(self.status, self.due_at, self.finished_at, now)

    def is_overdue(self, now: datetime) -> bool:
        """Computed, never stored: running and its due DATE has passed (due today is not)."""
        return self.timeliness(now) == "overdue"

    @property
    def accepted(self) -> bool:
        """False for a dossier turned away at intake (Mẫu 02 / 03 instead of a receipt)."""
        return self.due_at is not None


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


def applicant_from_row(row: dict[str, Any]) -> Applicant:
    return Applicant(
        kind=row["applicant_kind"],
        name=row["applicant_name"],
        id_number=row["applicant_id"],
        phone=row["applicant_phone"],
        email=row["applicant_email"],
        address=row["applicant_address"],
        birth_date=row.get("applicant_birth_date") or "",
        sex=row.get("applicant_sex") or "",
    )


def representative_from_row(row: dict[str, Any]) -> Representative | None:
    if not row.get("representative_name"):
        return None
    return Representative(
        row["representative_name"],
        row["representative_id"],
        row["representative_phone"],
        row["representative_paper"],
    )


def dossier_from_row(row: dict[str, Any]) -> Dossier:
    received = parse_iso(row["received_at"])
    due = _dt(row["due_at"])
    return Dossier(
        uuid=row["uuid"],
        code=row["code"],
        procedure_code=row["procedure_code"],
        procedure_name=row["procedure_name"],
        field=row["field"],
        applicant=applicant_from_row(row),
        representative=representative_from_row(row),
        documents=tuple(DocumentItem(**d) for d in json.loads(row["documents"])),
        sets_count=row["sets_count"],
        fee_amount=row["fee_amount"],
        payment_method=row["payment_method"],
        delivery=row["delivery"],
        duration=row["duration"],
        duration_unit=row["duration_unit"],
        status=row["status"],
        received_at=received,
        due_at=due,
        paused_at=_dt(row["paused_at"]),
        paused_from_status=row["paused_from_status"],
        finished_at=_dt(row["finished_at"]),
        returned_at=_dt(row["returned_at"]),
        returned_to=row["returned_to"],
        closed_reason=row["closed_reason"],
        officer_id=row["officer_id"],
        counter_no=row["counter_no"],
        device_id=row["device_id"],
        ticket=row["ticket"],
        note=row["note"],
        version=row["version"],
        officer_name=row.get("officer_name") or "",
        payment_state=row.get("payment_state") or "none",
        supplement_request=row.get("supplement_request") or "",
        extended_due_at=_dt(row.get("extended_due_at")),
        extension_reason=row.get("extension_reason") or "",
    )


def documents_json(docs: tuple[DocumentItem, ...]) -> str:
    return json.dumps([asdict(d) for d in docs], ensure_ascii=False)


@dataclass(frozen=True)
class TimelineEvent:
    id: int
    at: datetime
    action: str
    from_status: str | None
    to_status: str
    officer_name: str
    details: dict[str, Any]
