"""The printable fields of each document, built from saved records in the core.

They are stored as JSON in the print job (what was printed stays what was saved) and turned
into printing's dataclasses by the spool worker; field names match printing/documents.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from counter.catalogue import Procedure, delivery_label, form_label
from counter.config import Config
from counter.dossiers import PAYMENT_METHODS, Dossier
from counter.lookup import lookup_token, lookup_url
from counter.timeutil import iso
from counter.validation import mask_id
from counter.vietqr import build_vietqr


def dossier_lookup_url(config: Config, dossier: Dossier, device_secret: bytes) -> str:
    """The receipt QR: portal URL + unforgeable token, no personal data."""
    token = lookup_token(device_secret, dossier.device_id, dossier.uuid, dossier.code)
    return lookup_url(
        config.agency.lookup_website, dossier.code, token, dossier.device_id, dossier.uuid
    )


def fee_vietqr(config: Config, dossier: Dossier) -> str | None:
    """A dynamic VietQR for the fee when there is one to pay and a bank account is set."""
    bank = config.bank
    if dossier.fee_amount <= 0 or dossier.payment_method == "exempt" or not bank.account:
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


def receipt_document(
    config: Config, dossier: Dossier, procedure: Procedure, device_secret: bytes
) -> dict[str, Any]:
    """Mẫu 01 fields for the citizen's copy."""
    applicant_id = dossier.applicant.id_number
    if config.counter.mask_id_on_receipt:
        applicant_id = mask_id(applicant_id)
    payment = PAYMENT_METHODS[dossier.payment_method][0]
    return {
        "agency_name": config.agency.name,
        "centre": config.agency.centre,
        "code": dossier.code,
        "applicant_name": dossier.applicant.name,
        "applicant_id": applicant_id,
        "applicant_phone": dossier.applicant.phone,
        "representative_name": dossier.representative.name if dossier.representative else "",
        "procedure_name": dossier.procedure_name,
        "procedure_code": dossier.procedure_code,
        "received_at": iso(dossier.received_at),
        "due_at": iso(dossier.due_at),
        "lookup_url": dossier_lookup_url(config, dossier, device_secret),
        "documents": [
            [d.name, form_label(d.form), d.count] for d in dossier.documents if d.received
        ],
        "sets_count": dossier.sets_count,
        "duration_text": procedure.duration_text("vi"),
        "delivery_label": delivery_label(dossier.delivery),
        "fee_amount": dossier.fee_amount,
        "payment_label": payment,
        "officer_name": dossier.officer_name,
        "counter_no": dossier.counter_no,
        "lookup_website": config.agency.lookup_website,
        "hotline": config.agency.hotline,
        "vietqr_payload": fee_vietqr(config, dossier),
    }


def supplement_document(
    config: Config, dossier: Dossier, items: list[str], reason: str, officer: str, at: datetime
) -> dict[str, Any]:
    """Mẫu 02: what to add and why."""
    return {
        "code": dossier.code,
        "applicant": dossier.applicant.name,
        "procedure": dossier.procedure_name,
        "items": list(items),
        "reason": reason,
        "officer": officer,
        "at": iso(at),
        "agency_name": config.agency.name,
        "hotline": config.agency.hotline,
    }


def refusal_document(
    config: Config, dossier: Dossier, reasons: list[str], officer: str, at: datetime
) -> dict[str, Any]:
    """Mẫu 03: the reasons for refusing."""
    return {
        "code": dossier.code,
        "applicant": dossier.applicant.name,
        "procedure": dossier.procedure_name,
        "reasons": list(reasons),
        "officer": officer,
        "at": iso(at),
        "agency_name": config.agency.name,
    }
