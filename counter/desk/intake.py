"""Receiving at the desk: a dossier accepted (Mẫu 01) or turned away at intake (Mẫu 02,
03), and the intake form kept while the officer fills it. Its own home because creating a
dossier (its code, its row, its first event and form) is a different job from changing one."""

from __future__ import annotations

import json
import uuid as uuidlib
from datetime import datetime
from typing import Any

from counter import codes, receipts
from counter.catalogue import Procedure
from counter.desk.actions import check_details
from counter.desk.printing import DeskPrinting
from counter.documents import Document
from counter.dossiers import (
    Dossier,
    DossierDraft,
    documents_json,
    missing_documents,
    payment_state,
    search_text,
    validate_draft,
)
from counter.errors import InvalidInput
from counter.lifecycle import ACTIONS, STATUSES
from counter.text import nfc, nfc_lines
from counter.timeutil import iso

# The reason a Mẫu 02 at intake gives when the officer adds none.
INCOMPLETE_REASON = "Hồ sơ chưa đủ thành phần theo quy định của thủ tục"


class Intake(DeskPrinting):
    """Dossiers come into being here, and the half-filled form waits here."""

    def procedure(self, code: str) -> Procedure:
        return self.catalogue.get(code)

    def due_at(self, procedure: Procedure, received_at: datetime | None = None) -> datetime:
        """The legal due moment if the dossier were received now (shown live in the form)."""
        received = received_at or self.now()
        return self.calendar.due_at(
            received, procedure.duration, procedure.duration_unit, procedure.cutoff
        )

    # -- receiving -----------------------------------------------------------------------

    def receive(self, draft: DossierDraft) -> Dossier:
        """Validate, allocate the code and save in one durable transaction; print Mẫu 01."""
        return self._create(draft, "receive")

    def decline_at_intake(
        self, draft: DossierDraft, form: str, *, items: list[str] | None = None, reason: str = ""
    ) -> Dossier:
        """Turn a dossier away at intake: Mẫu 02 (what to add) or Mẫu 03 (why refused).

        Issued *instead of* a receipt (DOMAIN §2): no Mẫu 01, no appointment, but the record
        is kept with its code, counted in the day's figures and the book, printed and synced.
        `form` is "supplement" or "refusal"; Mẫu 02 lists `items` (default: the required
        papers not ticked) and `reason`; Mẫu 03 gives one reason per line in `reason`.
        """
        if form == "supplement":
            listed = [nfc(i) for i in (items or []) if nfc(i)]
            return self._create(draft, "intake_supplement", items=listed, reason=nfc_lines(reason))
        if form == "refusal":
            return self._create(draft, "intake_refuse", reason=nfc_lines(reason))
        raise InvalidInput("form", f"Mẫu không hợp lệ: {form}", f"Unknown form: {form}")

    def _create(
        self, draft: DossierDraft, action: str, *, items: list[str] | None = None, reason: str = ""
    ) -> Dossier:
        officer = self._require_officer()
        procedure = self.catalogue.get(draft.procedure_code)
        accepted = action == "receive"
        draft = validate_draft(draft, procedure, complete=accepted, today=self.now().date())
        now = self.now()
        status = ACTIONS[action].target or "received"
        if action == "intake_supplement":
            items = items or missing_documents(draft.documents)
            reason = reason or INCOMPLETE_REASON
            details: dict[str, Any] = {"items": items, "reason": reason}
            check_details("request_supplement", details)
        elif action == "intake_refuse":
            details = {"reason": reason}
            check_details("refuse", details)
        due_text = iso(self.due_at(procedure, now)) if accepted else ""
        fee = draft.fee_amount or 0
        dossier_uuid = str(uuidlib.uuid4())
        with self.store.write() as db:
            code = codes.allocate_code(
                db, self.config.agency.code, self.config.counter.number, now.date()
            )
            rep = draft.representative
            row: dict[str, Any] = {
                "uuid": dossier_uuid,
                "code": code,
                "procedure_code": procedure.code,
                "procedure_name": procedure.name,
                "field": procedure.field,
                "applicant_kind": draft.applicant.kind,
                "applicant_name": draft.applicant.name,
                "applicant_id": draft.applicant.id_number,
                "applicant_phone": draft.applicant.phone,
                "applicant_email": draft.applicant.email,
                "applicant_address": draft.applicant.address,
                "applicant_birth_date": draft.applicant.birth_date,
                "applicant_sex": draft.applicant.sex,
                "representative_name": rep.name if rep else "",
                "representative_id": rep.id_number if rep else "",
                "representative_phone": rep.phone if rep else "",
                "representative_paper": rep.paper if rep else "",
                "documents": documents_json(draft.documents),
                "sets_count": draft.sets_count,
                # Nothing is collected from a dossier turned away at intake.
                "fee_amount": fee if accepted else 0,
                "payment_method": draft.payment_method,
                "payment_state": payment_state(draft.payment_method, fee) if accepted else "none",
                "channel": 1,
                "delivery": draft.delivery,
                "duration": procedure.duration,
                "duration_unit": procedure.duration_unit,
                "status": status,
                "status_code": STATUSES[status].dvcqg,
                "received_at": iso(now),
                "due_at": due_text,
                "officer_id": officer.id,
                "counter_no": self.config.counter.number,
                "device_id": self.device_id,
                "ticket": draft.ticket,
                "note": draft.note,
                "search_text": search_text(code, draft.applicant, rep),
                "updated_at": iso(now),
                "version": 1,
            }
            if action == "intake_supplement":
                row["supplement_request"] = "\n".join([*details["items"], details["reason"]])
                row["finished_at"] = iso(now)
            elif action == "intake_refuse":
                row["closed_reason"] = details["reason"]
                row["finished_at"] = iso(now)
            db.table("dossiers").insert(row)
            db.conn.execute("DELETE FROM intake_drafts WHERE officer_id = ?", (officer.id,))
            if accepted:
                self._event(
                    db, row, "receive", None, status, officer, now, {"due_at": row["due_at"]}
                )
            else:
                self._event(db, row, action, None, status, officer, now, details)
            saved = self.get(dossier_uuid)
            doc: Document
            if action == "intake_supplement":
                doc = receipts.supplement_document(
                    self.config,
                    saved,
                    details["items"],
                    details["reason"],
                    officer.full_name,
                    now,
                    at_intake=True,
                )
                self._print(db, "supplement", saved, doc, now)
            elif action == "intake_refuse":
                reasons = [r for r in details["reason"].splitlines() if r.strip()]
                doc = receipts.refusal_document(self.config, saved, reasons, officer.full_name, now)
                self._print(db, "refusal", saved, doc, now)
            else:
                doc = receipts.receipt_document(self.config, saved, procedure, self.device_secret)
                self._print(db, "receipt", saved, doc, now)
        return saved

    # -- the intake form in progress --------------------------------------------------------

    def save_draft(self, data: dict[str, Any]) -> None:
        """Keep the officer's half-filled form (what the screen says it holds), durably."""
        officer = self._require_officer()
        with self.store.write() as db:
            db.conn.execute(
                "INSERT INTO intake_drafts(officer_id, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(officer_id) DO UPDATE SET data = excluded.data, "
                "updated_at = excluded.updated_at",
                (officer.id, json.dumps(data, ensure_ascii=False), iso(self.now())),
            )

    def load_draft(self) -> dict[str, Any] | None:
        """The officer's kept form, or None."""
        officer = self._require_officer()
        row = self.store.conn.execute(
            "SELECT data FROM intake_drafts WHERE officer_id = ?", (officer.id,)
        ).fetchone()
        if row is None:
            return None
        try:
            data = json.loads(row[0])
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def discard_draft(self) -> None:
        officer = self._require_officer()
        with self.store.write() as db:
            db.conn.execute("DELETE FROM intake_drafts WHERE officer_id = ?", (officer.id,))
