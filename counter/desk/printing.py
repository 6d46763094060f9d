"""Printing from the desk: every form is a spool job written in the caller's transaction,
and the officer's answers about jobs (retry, cancel, printed or not, another printer).
Its own home because the spool's rules are the same whichever action prints."""

from __future__ import annotations

from datetime import datetime

import sqlite_utils

from counter import audit, receipts, spool
from counter.desk.reading import DossierReading
from counter.documents import Document, ReceiptData
from counter.dossiers import Dossier
from counter.errors import InvalidInput
from counter.timeutil import iso


class DeskPrinting(DossierReading):
    """Queue a form, reprint a receipt, and look after the print jobs."""

    @property
    def default_printer(self) -> str:
        return self.config.printers[0].name

    def _print(
        self,
        db: sqlite_utils.Database,
        kind: str,
        dossier: Dossier,
        document: Document,
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

    def receipt_fields(self, dossier: Dossier) -> ReceiptData:
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
