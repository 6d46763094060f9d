"""The counter desk: the one service the UI and the CLI talk to.

A keypress becomes a call here; each state change is one transaction that writes the dossier
row, its timeline event, its audit entry and its outbox entry together. Screens never see
SQLite, only these methods and the dataclasses they return.
"""

from __future__ import annotations

import json
import uuid as uuidlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from counter import audit, auth, codes, history, receipts, search, spool, validation
from counter.auth import Officer
from counter.catalogue import Catalogue, Procedure, load_catalogue
from counter.config import Config
from counter.dossiers import (
    Dossier,
    DossierDraft,
    TimelineEvent,
    documents_json,
    dossier_from_row,
    missing_documents,
    payment_state,
    search_text,
    validate_draft,
)
from counter.errors import AuthError, IllegalTransition, InvalidInput, NotFound
from counter.identity import device_identity
from counter.lifecycle import ACTIONS, CREATING, REVERSIBLE, STATUSES, transition
from counter.store import Store
from counter.text import nfc, nfc_lines
from counter.timeutil import Clock, iso, parse_iso, system_clock, to_vn
from counter.worktime import WorkCalendar

# How long after a reversible action its officer may still take it back.
UNDO_WINDOW = timedelta(minutes=15)

_DOSSIER_SELECT = (
    "SELECT d.*, o.full_name AS officer_name FROM dossiers d "
    "LEFT JOIN officers o ON o.id = d.officer_id "
)


# The reason a Mẫu 02 at intake gives when the officer adds none.
INCOMPLETE_REASON = "Hồ sơ chưa đủ thành phần theo quy định của thủ tục"


@dataclass(frozen=True)
class DossierPage:
    dossiers: list[Dossier]
    total: int
    page: int
    page_size: int
    more: bool = False


class Desk:
    """Everything a counter does, for one store and one logged-in officer at a time."""

    def __init__(
        self,
        config: Config,
        store: Store,
        catalogue: Catalogue,
        *,
        clock: Clock = system_clock,
    ):
        self.config = config
        self.store = store
        self.catalogue = catalogue
        self.calendar = WorkCalendar(config.office_hours, config.holidays)
        self.clock = clock
        self.officer: Officer | None = None
        self.device_id, secret = device_identity(store, config.counter.device_id)
        self.device_secret = bytes.fromhex(secret)
        if store.get_setting("export_signing_key") is not None:  # = signing.KEY_SETTING
            # A key older versions kept in the database goes to its own file. Imported here:
            # cryptography costs start-up time, and only this rare case needs it at start.
            from counter import signing

            signing.move_key_out_of_store(store)

    @classmethod
    def open(cls, config: Config, *, clock: Clock = system_clock) -> Desk:
        store = Store(config.db_path)
        return cls(config, store, load_catalogue(config.counter.catalogue), clock=clock)

    def close(self) -> None:
        self.store.close()

    def now(self) -> datetime:
        return to_vn(self.clock())

    # -- officers ------------------------------------------------------------------------

    def login(self, username: str, secret: str) -> Officer:
        self.officer = auth.login(self.store, self.config.auth, username, secret, self.now())
        return self.officer

    def logout(self) -> None:
        if self.officer:
            auth.logout(self.store, self.officer, self.now())
        self.officer = None

    def require_supervisor(self, action: str) -> Officer:
        """The logged-in supervisor; anyone else is refused, and the refusal audited."""
        return auth.require_supervisor(
            self.officer, store=self.store, now=self.now(), action=action
        )

    def create_officer(self, username: str, full_name: str, role: str, secret: str) -> Officer:
        """A logged-in supervisor adds an account; with nobody logged in, only the very first
        account of an empty store can be made (`counter setup`), and the audit says so."""
        if self.officer is not None:
            self.require_supervisor("officer.create")
        return auth.create_officer(
            self.store,
            username=username,
            full_name=full_name,
            role=role,
            secret=secret,
            now=self.now(),
            by=self.officer,
            policy=self.config.auth,
        )

    def set_officer_role(self, username: str, role: str) -> Officer:
        return auth.set_role(
            self.store,
            username=username,
            role=role,
            by=self.require_supervisor("officer.set_role"),
            now=self.now(),
        )

    def has_officers(self) -> bool:
        return self.store.conn.execute("SELECT 1 FROM officers LIMIT 1").fetchone() is not None

    def _require_officer(self) -> Officer:
        if self.officer is None:
            raise AuthError("Cần đăng nhập trước", "Please log in first")
        return self.officer

    # -- catalogue and deadlines ----------------------------------------------------------

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
            self._check_details("request_supplement", details)
        elif action == "intake_refuse":
            details = {"reason": reason}
            self._check_details("refuse", details)
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

    @property
    def default_printer(self) -> str:
        return self.config.printers[0].name

    def _print(
        self,
        db: Any,
        kind: str,
        dossier: Dossier,
        document: dict[str, Any],
        now: datetime,
        *,
        reprint: bool = False,
        printer: str | None = None,
    ) -> int:
        """Queue a print job in the caller's transaction: it prints when the printer can."""
        target = printer or self.default_printer
        copies = next((p.copies for p in self.config.printers if p.name == target), 1)
        return spool.enqueue(
            db,
            kind=kind,
            ref=dossier.uuid,
            printer=target,
            document=document,
            now=now,
            copies=copies if kind == "receipt" else 1,
            reprint=reprint,
        )

    def reprint(self, dossier_uuid: str, printer: str | None = None) -> int:
        """Print the receipt again, marked BẢN IN LẠI; audited."""
        officer = self._require_officer()
        dossier = self.get(dossier_uuid)
        procedure = self.catalogue.get(dossier.procedure_code)
        now = self.now()
        with self.store.write() as db:
            job = self._print(
                db,
                "receipt",
                dossier,
                receipts.receipt_document(self.config, dossier, procedure, self.device_secret),
                now,
                reprint=True,
                printer=printer,
            )
            audit.record(
                db,
                at=iso(now),
                action="print.reprint",
                officer_id=officer.id,
                username=officer.username,
                obj=f"dossier:{dossier.code}",
                details={"job": job},
            )
        return job

    def receipt_fields(self, dossier: Dossier) -> dict[str, Any]:
        """The receipt as it would print now (for the on-screen preview)."""
        return receipts.receipt_document(
            self.config, dossier, self.catalogue.get(dossier.procedure_code), self.device_secret
        )

    def lookup_url(self, dossier: Dossier) -> str:
        return receipts.dossier_lookup_url(self.config, dossier, self.device_secret)

    def print_jobs(self, dossier_uuid: str | None = None) -> list[spool.PrintJob]:
        """Pending jobs (status bar / spool screen), or every job of one dossier."""
        if dossier_uuid:
            return spool.jobs_for(self.store, dossier_uuid)
        return spool.pending_jobs(self.store)

    def print_state(self) -> tuple[int, int]:
        """(jobs waiting, of which failing) for the status bar: counted, not loaded."""
        return spool.pending_state(self.store)

    def retry_print(self, job_id: int) -> None:
        spool.retry_now(self.store, job_id, self.now())

    def cancel_print(self, job_id: int) -> None:
        officer = self._require_officer()
        with self.store.write() as db:
            spool.cancel(self.store, job_id)
            audit.record(
                db,
                at=iso(self.now()),
                action="print.cancel",
                officer_id=officer.id,
                username=officer.username,
                obj=f"print_job:{job_id}",
            )

    def uncertain_prints(self) -> int:
        """Jobs that may or may not have printed: the officer is asked on F3."""
        return spool.uncertain_count(self.store)

    def answer_print(self, job_id: int, printed: bool) -> None:
        """The officer's answer to "Máy in có in ra không?" for an uncertain job; audited.
        Yes: the job is done. No: it prints once more, now."""
        officer = self._require_officer()
        now = self.now()
        with self.store.write() as db:
            spool.resolve_uncertain(db, job_id, printed, now)
            audit.record(
                db,
                at=iso(now),
                action="print.printed" if printed else "print.not_printed",
                officer_id=officer.id,
                username=officer.username,
                obj=f"print_job:{job_id}",
            )

    def redirect_print(self, job_id: int, printer: str) -> None:
        if printer not in {p.name for p in self.config.printers}:
            raise InvalidInput(
                "printer", f"Không có máy in tên {printer}", f"No printer named {printer}"
            )
        spool.redirect(self.store, job_id, printer, self.now())

    def _event(
        self,
        db: Any,
        row: dict[str, Any],
        action: str,
        from_status: str | None,
        to_status: str,
        officer: Officer,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        """Timeline event + audit entry + outbox entry, inside the caller's transaction."""
        history.record_change(
            db,
            device_id=self.device_id,
            row=row,
            action=action,
            from_status=from_status,
            to_status=to_status,
            at=now,
            officer_id=officer.id,
            username=officer.username,
            event_officer=officer.username,
            details=details,
        )

    # -- lifecycle -----------------------------------------------------------------------

    def act(self, dossier_uuid: str, action: str, **details: Any) -> Dossier:
        """Apply one lifecycle action; IllegalTransition or InvalidInput change nothing."""
        officer = self._require_officer()
        if action not in ACTIONS or action in CREATING:
            raise InvalidInput(
                "action", f"Thao tác không hợp lệ: {action}", f"Invalid action: {action}"
            )
        details = {k: nfc_lines(v) if isinstance(v, str) else v for k, v in details.items()}
        validation.check_free_text(details, "")
        self._check_details(action, details)
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
                doc = receipts.extension_document(
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

    @staticmethod
    def _row(db: Any, dossier_uuid: str) -> dict[str, Any]:
        cur = db.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,))
        row = cur.fetchone()
        if row is None:
            raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
        return dict(zip([c[0] for c in cur.description], row, strict=True))

    @staticmethod
    def _check_details(action: str, details: dict[str, Any]) -> None:
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
        elif action in ("refuse", "withdraw", "stop"):
            if not details.get("reason"):
                raise InvalidInput("reason", "Ghi rõ lý do", "Give the reason")
        elif action == "extend":
            if not details.get("reason"):
                raise InvalidInput(
                    "reason", "Ghi rõ lý do chậm trễ", "Give the reason for the delay"
                )
            details["new_day"] = _parse_day(details.get("new_day"))
        elif action == "return_result" and not details.get("to"):
            raise InvalidInput("to", "Ghi rõ người nhận kết quả", "Say who collected the result")

    # -- reading -------------------------------------------------------------------------

    def get(self, dossier_uuid: str) -> Dossier:
        rows = list(self.store.db.query(_DOSSIER_SELECT + "WHERE d.uuid = ?", [dossier_uuid]))
        if not rows:
            raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
        return dossier_from_row(rows[0])

    def by_code(self, code: str) -> Dossier:
        rows = list(
            self.store.db.query(_DOSSIER_SELECT + "WHERE d.code = ?", [code.strip().upper()])
        )
        if not rows:
            raise NotFound(f"Không tìm thấy hồ sơ {code}", f"No dossier {code}")
        return dossier_from_row(rows[0])

    def timeline(self, dossier_uuid: str) -> list[TimelineEvent]:
        return [
            TimelineEvent(
                id=r["id"],
                at=parse_iso(r["at"]),
                action=r["action"],
                from_status=r["from_status"],
                to_status=r["to_status"],
                officer_name=r["officer_name"] or "",
                details=json.loads(r["details"]),
            )
            for r in self.store.db.query(
                "SELECT e.*, o.full_name AS officer_name FROM dossier_events e "
                "LEFT JOIN officers o ON o.id = e.officer_id "
                "WHERE e.dossier_uuid = ? ORDER BY e.id",
                [dossier_uuid],
            )
        ]

    def received_on(self, day: date, page: int = 0, page_size: int = 50) -> DossierPage:
        """The dossiers received on one day, newest first, one page at a time."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.now().tzinfo)
        lo, hi = iso(start), iso(start + timedelta(days=1))
        total = self.store.conn.execute(
            "SELECT count(*) FROM dossiers WHERE received_at >= ? AND received_at < ?", (lo, hi)
        ).fetchone()[0]
        rows = self.store.db.query(
            _DOSSIER_SELECT + "WHERE d.received_at >= ? AND d.received_at < ? "
            "ORDER BY d.received_at DESC LIMIT ? OFFSET ?",
            [lo, hi, page_size, page * page_size],
        )
        return DossierPage([dossier_from_row(r) for r in rows], int(total), page, page_size)

    def today(self, page: int = 0, page_size: int = 50) -> DossierPage:
        return self.received_on(self.now().date(), page, page_size)

    def search(self, query: str, page: int = 0, page_size: int = 20) -> DossierPage:
        result = search.search(self.store.db, query, page, page_size)
        found = {d.uuid: d for d in self._many(result.uuids)}
        return DossierPage(
            [found[u] for u in result.uuids if u in found],
            result.total,
            result.page,
            result.page_size,
            result.more,
        )

    def _many(self, uuids: list[str]) -> list[Dossier]:
        if not uuids:
            return []
        marks = ",".join("?" * len(uuids))
        return [
            dossier_from_row(r)
            for r in self.store.db.query(_DOSSIER_SELECT + f"WHERE d.uuid IN ({marks})", uuids)
        ]

    def sync_status(self) -> Any:
        """The sync state for the status bar (read from SQLite, never the network)."""
        from counter import sync

        return sync.sync_status(self.store, self.config)

    def rejected_entries(self) -> list[Any]:
        """Entries the portal refused (or central changes we could not apply), with reasons."""
        from counter import sync

        return sync.rejected_entries(self.store)


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
