"""The lifecycle at the desk: one action applied (with its form printed), the officer's
undo, a transfer confirmed, and the details each action requires. Its own home because
this is where a new lifecycle action is wired in (after `counter.lifecycle`)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

from counter import receipts, validation
from counter.desk.printing import DeskPrinting
from counter.documents import Document
from counter.dossiers import Dossier
from counter.errors import IllegalTransition, InvalidInput, NotFound
from counter.lifecycle import (
    ACTIONS,
    CREATING,
    REASON_REQUIRED,
    REVERSIBLE,
    STATUSES,
    require_details,
    transition,
)
from counter.text import nfc, nfc_lines
from counter.timeutil import iso, parse_iso

# How long after a reversible action its officer may still take it back.
UNDO_WINDOW = timedelta(minutes=15)


class DossierActions(DeskPrinting):
    """Changing a dossier that exists: each change one transaction with its event."""

    def act(self, dossier_uuid: str, action: str, **details: Any) -> Dossier:
        """Apply one lifecycle action; IllegalTransition or InvalidInput change nothing."""
        officer = self._require_officer()
        if action not in ACTIONS or action in CREATING:
            raise InvalidInput(
                "action", f"Thao tác không hợp lệ: {action}", f"Invalid action: {action}"
            )
        details = {k: nfc_lines(v) if isinstance(v, str) else v for k, v in details.items()}
        validation.check_free_text(details, "")
        check_details(action, details)
        now = self.now()
        with self.store.write() as db:
            row = db.conn.execute(
                "SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,)
            ).fetchone()
            if row is None:
                raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
            cols = [c[0] for c in db.conn.execute("SELECT * FROM dossiers LIMIT 0").description]
            current = dict(zip(cols, row, strict=True))
            old_status = current["status"]
            changes, effects = transition(
                action,
                current,
                now,
                self.calendar,
                to=details.get("to", ""),
                reason=details.get("reason", ""),
                items=details.get("items", ()),
                new_day=details.pop("new_day", None),
            )
            new_status = changes["status"]
            details = {**details, **effects}
            if action in REVERSIBLE:
                # What undo restores: the changed columns as they were (no personal data).
                details["before"] = {
                    k: current[k] for k in changes if k not in ("updated_at", "version")
                }
            db.table("dossiers").update(dossier_uuid, changes)
            current |= changes
            self._event(db, current, action, old_status, new_status, officer, now, details)
            saved = self.get(dossier_uuid)
            if action == "request_supplement":
                self._print(
                    db,
                    "supplement",
                    saved,
                    receipts.supplement_document(
                        self.config,
                        saved,
                        details["items"],
                        details["reason"],
                        officer.full_name,
                        now,
                    ),
                    now,
                )
            elif action == "refuse":
                reasons = [r for r in details["reason"].splitlines() if r.strip()]
                self._print(
                    db,
                    "refusal",
                    saved,
                    receipts.refusal_document(self.config, saved, reasons, officer.full_name, now),
                    now,
                )
            elif action == "extend":
                previous = parse_iso(effects["previous_due_at"])
                doc: Document = receipts.extension_document(
                    self.config, saved, previous, officer.full_name, now
                )
                self._print(db, "extension", saved, doc, now)
            elif action in ("withdraw", "stop"):
                doc = receipts.stop_document(
                    self.config,
                    saved,
                    action == "withdraw",
                    details["reason"],
                    officer.full_name,
                    now,
                )
                self._print(db, "stop", saved, doc, now)
        return saved

    def undo(self, dossier_uuid: str) -> tuple[Dossier, str]:
        """Take back the dossier's last action if it is reversible, this officer's and recent.

        The undo is a new timeline event (and outbox entry), never a deletion: the record of
        what happened stays. Returns the dossier and the action undone; IllegalTransition when
        there is nothing to undo."""
        officer = self._require_officer()
        now = self.now()
        nothing = IllegalTransition("Không có thao tác nào để hoàn tác", "Nothing to undo")
        with self.store.write() as db:
            row = db.conn.execute(
                "SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,)
            ).fetchone()
            if row is None:
                raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
            cols = [c[0] for c in db.conn.execute("SELECT * FROM dossiers LIMIT 0").description]
            current = dict(zip(cols, row, strict=True))
            last = db.conn.execute(
                "SELECT id, at, action, officer_id, details FROM dossier_events "
                "WHERE dossier_uuid = ? ORDER BY id DESC LIMIT 1",
                (dossier_uuid,),
            ).fetchone()
            if last is None:
                raise nothing
            event_id, at, action, officer_id, raw = last
            before = json.loads(raw).get("before")
            if (
                action not in REVERSIBLE
                or not isinstance(before, dict)
                or officer_id != officer.id
                or now - parse_iso(at) > UNDO_WINDOW
            ):
                raise nothing
            old_status = current["status"]
            changes = {
                **before,
                "status_code": STATUSES[before["status"]].dvcqg,
                "updated_at": iso(now),
                "version": current["version"] + 1,
            }
            db.table("dossiers").update(dossier_uuid, changes)
            current |= changes
            self._event(
                db,
                current,
                "undo",
                old_status,
                before["status"],
                officer,
                now,
                {"undone": action, "undone_event": event_id},
            )
        return self.get(dossier_uuid), action

    def confirm_transfer(self, dossier_uuid: str) -> Dossier:
        """The fee of a dossier "to be paid by transfer" has arrived: paid by transfer.

        Recorded like a lifecycle step (event, audit, outbox) so the portal page stops asking
        the citizen to pay; refused for any other payment state.
        """
        officer = self._require_officer()
        now = self.now()
        with self.store.write() as db:
            current = self._row(db, dossier_uuid)
            if current["payment_state"] != "to_pay_transfer":
                raise InvalidInput(
                    "payment_state",
                    "Hồ sơ này không có khoản phí chờ chuyển khoản",
                    "This dossier has no fee waiting for a transfer",
                )
            changes = {
                "payment_state": "paid_transfer",
                "updated_at": iso(now),
                "version": current["version"] + 1,
            }
            db.table("dossiers").update(dossier_uuid, changes)
            current |= changes
            status = current["status"]
            self._event(
                db, current, "payment", status, status, officer, now, {"state": "paid_transfer"}
            )
        return self.get(dossier_uuid)


def check_details(action: str, details: dict[str, Any]) -> None:
    """The details `action` cannot go without (a reason, the papers to add, who collected
    the result, a valid new day), checked before anything is written; `details` is tidied
    in place."""
    if action == "request_supplement":
        items = [nfc(i) for i in details.get("items", []) if nfc(i)]
        if not items:
            raise InvalidInput(
                "items", "Ghi rõ giấy tờ cần bổ sung", "List the documents to supplement"
            )
        if not details.get("reason"):
            raise InvalidInput(
                "reason",
                "Ghi rõ lý do yêu cầu bổ sung",
                "Give the reason for the supplement request",
            )
        details["items"] = items
    elif action in REASON_REQUIRED:
        require_details(action, reason=details.get("reason") or "")
    elif action == "extend":
        if not details.get("reason"):
            raise InvalidInput("reason", "Ghi rõ lý do chậm trễ", "Give the reason for the delay")
        details["new_day"] = _parse_day(details.get("new_day"))
    elif action == "return_result":
        require_details(action, to=details.get("to") or "")


def _parse_day(value: Any) -> date:
    """A new appointment day typed by the officer ("dd/mm/yyyy") or given as a date."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value or "").strip()
    try:
        return datetime.strptime(text, "%d/%m/%Y").date()
    except ValueError:
        raise InvalidInput(
            "new_day",
            f"Ngày hẹn mới phải có dạng dd/mm/yyyy, nhận được “{text}”",
            f"The new date must be dd/mm/yyyy, got “{text}”",
        ) from None
