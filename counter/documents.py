"""The typed documents of every printed form, and their strict JSON form for the spool.

The core builds them (`counter/receipts.py`, `counter/queue_client.py`, `self_test_page`) in
the words to be printed; `printing/` lays them out and renders them. They live in the core so
the spool can store and check them without importing printing. A field that the document does
not have is an error when a job is read back (`document_from_fields`), never a silent drop: a
renamed field must fail loudly, not vanish from the citizen's receipt.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from datetime import datetime
from typing import Any, Final, TypeAlias, Union

from counter.config import PrinterConfig
from counter.timeutil import iso, parse_iso


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


@dataclass(frozen=True, kw_only=True)
class OfficerForm:
    """What Mẫu 02–05 share: the citizen, the procedure, who signs, when, and the form's
    heading (agency, form number, place and date)."""

    applicant: str
    procedure: str
    officer: str
    at: datetime
    agency_name: str = ""
    form_number: str
    place_date: str = ""


@dataclass(frozen=True, kw_only=True)
class SupplementData(OfficerForm):
    """Mẫu 02: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ."""

    code: str
    items: tuple[str, ...]
    reason: str
    hotline: str = ""
    form_number: str = "02"
    at_intake: bool = False  # instead of a receipt: not received, no appointment


@dataclass(frozen=True, kw_only=True)
class RefusalData(OfficerForm):
    """Mẫu 03: Phiếu từ chối tiếp nhận giải quyết hồ sơ."""

    code: str | None
    reasons: tuple[str, ...]
    form_number: str = "03"


@dataclass(frozen=True, kw_only=True)
class ExtensionData(OfficerForm):
    """Mẫu 04: Phiếu xin lỗi và hẹn lại ngày trả kết quả (the one new appointment)."""

    code: str
    reason: str
    old_due_at: datetime
    new_due_at: datetime
    hotline: str = ""
    form_number: str = "04"


@dataclass(frozen=True, kw_only=True)
class StopData(OfficerForm):
    """Mẫu 05: Thông báo dừng giải quyết hồ sơ (withdrawn by the citizen, or stopped)."""

    code: str
    withdrawn: bool
    reason: str
    form_number: str = "05"


@dataclass(frozen=True)
class SelfTestPage:
    """A printer test page: every Vietnamese letter, rules, a QR and the printer's settings."""

    printer_name: str
    profile: str
    mode: str
    paper_width_dots: int
    at: datetime


Document: TypeAlias = (
    ReceiptData
    | TicketData
    | SupplementData
    | RefusalData
    | ExtensionData
    | StopData
    | SelfTestPage
)

# The print-job kinds of the spool and the document each one stores.
DOCUMENT_KINDS: Final[dict[str, type[Document]]] = {
    "receipt": ReceiptData,
    "supplement": SupplementData,
    "refusal": RefusalData,
    "extension": ExtensionData,
    "stop": StopData,
    "ticket": TicketData,
    "testpage": SelfTestPage,
}
# Decided when a job prints (its copies and whether it is a reprint), never stored with it.
PRINT_TIME_FIELDS: Final = frozenset({"copy_label", "reprint"})

JSONValue: TypeAlias = str | int | bool | list["JSONValue"] | None


class DocumentFieldError(ValueError):
    """A stored document that does not match its form: unknown, missing or mistyped fields."""


def self_test_page(printer: PrinterConfig, at: datetime) -> SelfTestPage:
    """The test page of `printer`, as printed by `counter doctor` and the status screen."""
    return SelfTestPage(printer.name, printer.profile, printer.mode, printer.paper_width_dots, at)


def kind_of(doc: Document) -> str:
    """The spool kind of a document ("receipt", "ticket", …)."""
    return next(kind for kind, cls in DOCUMENT_KINDS.items() if isinstance(doc, cls))


def _to_json(value: object) -> JSONValue:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise TypeError(f"not a document value: {type(value).__name__}")


def document_fields(doc: Document) -> dict[str, JSONValue]:
    """The fields the spool stores for `doc` (JSON values; print-time fields left out)."""
    return {
        f.name: _to_json(getattr(doc, f.name))
        for f in fields(doc)
        if f.name not in PRINT_TIME_FIELDS
    }


def _from_json(kind: str, name: str, hint: object, value: object) -> object:
    """`value` as the type `hint` says, or DocumentFieldError (a mistyped field)."""
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        (inner,) = (o for o in options if o is not type(None))
        return _from_json(kind, name, inner, value)
    if origin is tuple and isinstance(value, (list, tuple)):
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_from_json(kind, name, args[0], v) for v in value)
        if len(args) == len(value):
            return tuple(_from_json(kind, name, a, v) for a, v in zip(args, value, strict=True))
    elif hint is datetime and isinstance(value, str):
        try:
            return parse_iso(value)
        except ValueError:
            pass
    elif (
        (hint is datetime and isinstance(value, datetime))
        or (hint is int and isinstance(value, int) and not isinstance(value, bool))
        or (hint is str and isinstance(value, str))
        or (hint is bool and isinstance(value, bool))
    ):
        return value
    # the type, never the value: a stored value may be a citizen's name or ID number
    raise DocumentFieldError(f"{kind}: field {name!r} is not a {hint}: {type(value).__name__}")


def document_from_fields(kind: str, stored: Mapping[str, object], **extra: object) -> Document:
    """The typed document of a job from the fields stored with it (`document_fields`), plus the
    print-time `extra` (reprint, copy_label). Raises DocumentFieldError on an unknown kind, an
    unknown or missing field or a mistyped value: nothing is dropped or guessed."""
    cls = DOCUMENT_KINDS.get(kind)
    if cls is None:
        raise DocumentFieldError(f"unknown document kind {kind!r}")
    hints = typing.get_type_hints(cls)
    unknown = sorted(set(stored) - set(hints))
    if unknown:
        raise DocumentFieldError(f"{kind}: unknown field(s) {', '.join(unknown)}")
    given = {**stored, **extra}
    required = {f.name for f in fields(cls) if f.default is f.default_factory is MISSING}
    missing = sorted(required - set(given))
    if missing:
        raise DocumentFieldError(f"{kind}: missing field(s) {', '.join(missing)}")
    # Any: each value was just checked against the field's own type hint by `_from_json`.
    values: dict[str, Any] = {
        name: _from_json(kind, name, hints[name], value) for name, value in given.items()
    }
    doc: Document = cls(**values)
    return doc
