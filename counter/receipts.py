"""The typed document of each dossier form (Mẫu 01–05), built from saved records in the core.

The spool stores them as JSON in the print job (what was printed stays what was saved) and the
spool worker reads them back strictly (`counter.documents.document_from_fields`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TypedDict

from counter.catalogue import Procedure, delivery_label, form_label
from counter.config import Config
from counter.documents import (
    ExtensionData,
    ReceiptData,
    RefusalData,
    StopData,
    SupplementData,
)
from counter.dossiers import Dossier, payment_state_label
from counter.lookup import lookup_token, lookup_url
from counter.timeutil import to_vn
from counter.validation import mask_id
from counter.vietqr import build_vietqr


def dossier_lookup_url(config: Config, dossier: Dossier, device_secret: bytes) -> str:
    """The receipt QR: portal URL + unforgeable token, no personal data."""
    token = lookup_token(device_secret, dossier.device_id, dossier.uuid, dossier.code)
    return lookup_url(
        config.agency.lookup_website, dossier.code, token, dossier.device_id, dossier.uuid
    )


def fee_vietqr(config: Config, dossier: Dossier) -> str | None:
    """A dynamic VietQR only while the fee is still to be paid by transfer (and a bank account
    is set): a citizen who paid cash, or is exempt, is never asked to pay again."""
    bank = config.bank
    if dossier.payment_state != "to_pay_transfer" or dossier.fee_amount <= 0 or not bank.account:
        return None
    return build_vietqr(
        bank.bin, bank.account, dossier.fee_amount, transfer_reference(dossier.code)
    )


def transfer_reference(code: str) -> str:
    """What the citizen's bank transfer says: "LE PHI HS 261126030001".

    The full code (agency + dots) does not fit the 25 characters banks keep; the account
    already names the agency, and day + counter + sequence is unique within it.
    """
    day, tail = code.rsplit("-", 2)[1:]
    return f"LE PHI HS {day}{tail}"


def place_and_date(config: Config, at: datetime) -> str:
    """The forms' date line: "Hà Nội, ngày 01 tháng 12 năm 2026" (Vietnam date)."""
    d = to_vn(at)
    return f"{config.forms.place}, ngày {d:%d} tháng {d:%m} năm {d:%Y}"


def form_number(config: Config, kind: str) -> str:
    return config.forms.number(kind)


def receipt_document(
    config: Config, dossier: Dossier, procedure: Procedure, device_secret: bytes
) -> ReceiptData:
    """Mẫu 01: every field of the provincial templates that fits on a roll."""
    applicant_id = dossier.applicant.id_number
    rep = dossier.representative
    rep_id = rep.id_number if rep else ""
    if config.counter.mask_id_on_receipt:
        applicant_id = mask_id(applicant_id)
        rep_id = mask_id(rep_id) if rep_id else ""
    if dossier.due_at is None:
        raise ValueError(f"{dossier.code} was not accepted: it has no receipt (Mẫu 01)")
    return ReceiptData(
        agency_name=config.agency.name,
        centre=config.agency.centre,
        code=dossier.code,
        number=receipt_number(dossier.code),
        place_date=place_and_date(config, dossier.received_at),
        applicant_name=dossier.applicant.name,
        applicant_id=applicant_id,
        applicant_phone=dossier.applicant.phone,
        applicant_address=dossier.applicant.address,
        applicant_email=dossier.applicant.email,
        representative_name=rep.name if rep else "",
        representative_id=rep_id,
        representative_phone=rep.phone if rep else "",
        representative_paper=rep.paper if rep else "",
        form_number=form_number(config, "receipt"),
        procedure_name=dossier.procedure_name,
        procedure_code=dossier.procedure_code,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        lookup_url=dossier_lookup_url(config, dossier, device_secret),
        documents=tuple(
            (d.name, form_label(d.form), d.count) for d in dossier.documents if d.received
        ),
        sets_count=dossier.sets_count,
        duration_text=procedure.duration_text("vi"),
        delivery_label=delivery_label(dossier.delivery),
        fee_amount=dossier.fee_amount,
        payment_label=payment_state_label(dossier.payment_state),
        officer_name=dossier.officer_name,
        counter_no=dossier.counter_no,
        lookup_website=config.agency.lookup_website,
        hotline=config.agency.hotline,
        vietqr_payload=fee_vietqr(config, dossier),
    )


def receipt_number(code: str) -> str:
    """ "Số" of the receipt: the day and sequence part of the code ("261201-030001")."""
    parts = code.rsplit("-", 2)
    return "-".join(parts[1:]) if len(parts) == 3 else code


class _OfficerFormFields(TypedDict):
    code: str
    applicant: str
    procedure: str
    officer: str
    at: datetime
    agency_name: str
    form_number: str
    place_date: str


def _officer_form(
    config: Config, dossier: Dossier, officer: str, at: datetime, kind: str
) -> _OfficerFormFields:
    """The fields Mẫu 02–05 share (`OfficerForm` and the code), from the dossier and config."""
    return {
        "code": dossier.code,
        "applicant": dossier.applicant.name,
        "procedure": dossier.procedure_name,
        "officer": officer,
        "at": at,
        "agency_name": config.agency.name,
        "form_number": form_number(config, kind),
        "place_date": place_and_date(config, at),
    }


def supplement_document(
    config: Config,
    dossier: Dossier,
    items: list[str],
    reason: str,
    officer: str,
    at: datetime,
    *,
    at_intake: bool = False,
) -> SupplementData:
    """Mẫu 02: what to add and why (at intake instead of a receipt, or pausing the clock)."""
    return SupplementData(
        **_officer_form(config, dossier, officer, at, "supplement"),
        items=tuple(items),
        reason=reason,
        hotline=config.agency.hotline,
        at_intake=at_intake,
    )


def refusal_document(
    config: Config, dossier: Dossier, reasons: list[str], officer: str, at: datetime
) -> RefusalData:
    """Mẫu 03: the reasons for refusing."""
    return RefusalData(
        **_officer_form(config, dossier, officer, at, "refusal"), reasons=tuple(reasons)
    )


def extension_document(
    config: Config, dossier: Dossier, previous_due: datetime, officer: str, at: datetime
) -> ExtensionData:
    """Mẫu 04: the apology, the reason and the new appointment."""
    if dossier.due_at is None:
        raise ValueError(f"{dossier.code} has no appointment to move")
    return ExtensionData(
        **_officer_form(config, dossier, officer, at, "extension"),
        reason=dossier.extension_reason,
        old_due_at=previous_due,
        new_due_at=dossier.due_at,
        hotline=config.agency.hotline,
    )


def stop_document(
    config: Config, dossier: Dossier, withdrawn: bool, reason: str, officer: str, at: datetime
) -> StopData:
    """Mẫu 05: the dossier stops, because the citizen withdrew it or processing stopped."""
    return StopData(
        **_officer_form(config, dossier, officer, at, "stop"), withdrawn=withdrawn, reason=reason
    )
