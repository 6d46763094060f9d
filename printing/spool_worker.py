"""Drains the print spool in the background: the officer never waits for paper.

Each due job is rendered from the fields saved with it, sent through its printer's transport,
and marked sent with the SHA-256 of the bytes actually sent; any failure (refused, timeout,
cut mid-job, paper out) leaves it pending with the error and a backoff. The worker opens its own
SQLite connection (connections are per thread).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from counter import spool
from counter.config import Config, PrinterConfig
from counter.errors import CounterError
from counter.store import Store
from counter.timeutil import parse_iso, system_clock
from printing.documents import (
    Document,
    ExtensionData,
    ReceiptData,
    RefusalData,
    SelfTestPage,
    StopData,
    SupplementData,
    TicketData,
)
from printing.render import render_job
from printing.transports import open_transport

COPY_LABELS = ("Liên 1: Lưu tại cơ quan", "Liên 2: Giao người nộp hồ sơ")
DATETIME_FIELDS = {"received_at", "due_at", "issued_at", "at", "old_due_at", "new_due_at"}
_KINDS: dict[str, type] = {
    "receipt": ReceiptData,
    "supplement": SupplementData,
    "refusal": RefusalData,
    "extension": ExtensionData,
    "stop": StopData,
    "ticket": TicketData,
    "testpage": SelfTestPage,
}
SEND_TIMEOUT_SECONDS = 10.0


def document_from_fields(kind: str, document: dict[str, Any], **extra: Any) -> Document:
    """Rebuild a printable document from the JSON fields saved with its job."""
    cls = _KINDS[kind]
    names = {f.name for f in fields(cls)}
    values: dict[str, Any] = {}
    for key, value in document.items():
        if key not in names:
            continue
        if key in DATETIME_FIELDS and isinstance(value, str):
            value = parse_iso(value)
        elif isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        values[key] = value
    doc: Document = cls(**values, **extra)
    return doc


def build_documents(job: spool.PrintJob) -> list[Document]:
    """The document(s) of a job: one per copy (liên), each labelled, reprints marked."""
    if job.kind != "receipt":
        return [document_from_fields(job.kind, job.document)]
    if job.copies < 2:
        return [document_from_fields(job.kind, job.document, reprint=job.reprint)]
    return [
        document_from_fields(job.kind, job.document, reprint=job.reprint, copy_label=label)
        for label in COPY_LABELS[: job.copies]
    ]


def job_bytes(job: spool.PrintJob, printer: PrinterConfig) -> bytes:
    return b"".join(render_job(doc, printer).data for doc in build_documents(job))


@dataclass(frozen=True)
class DrainResult:
    job_id: int
    ok: bool
    error: str = ""


def printer_by_name(config: Config, name: str) -> PrinterConfig | None:
    return next((p for p in config.printers if p.name == name), None)


def drain_once(
    store: Store, config: Config, now: Callable[[], datetime] = system_clock, limit: int = 10
) -> list[DrainResult]:
    """Try every due job once; never raises for a printer problem."""
    results = []
    for job in spool.due_jobs(store, now(), limit):
        printer = printer_by_name(config, job.printer)
        if printer is None:
            error = f"Không có máy in “{job.printer}” trong cấu hình"
            spool.mark_failed(store, job.id, error, now())
            results.append(DrainResult(job.id, False, error))
            continue
        try:
            data = job_bytes(job, printer)
            open_transport(printer).send(data, SEND_TIMEOUT_SECONDS, job_id=f"job-{job.id:06d}")
        except CounterError as exc:
            spool.mark_failed(store, job.id, exc.vi, now())
            results.append(DrainResult(job.id, False, exc.vi))
            continue
        except Exception as exc:  # a driver bug must not kill the worker or lose the job
            error = f"Lỗi máy in: {exc}"
            spool.mark_failed(store, job.id, error, now())
            results.append(DrainResult(job.id, False, error))
            continue
        spool.mark_sent(store, job.id, hashlib.sha256(data).hexdigest(), now())
        results.append(DrainResult(job.id, True))
    return results


class SpoolWorker:
    """A daemon thread that drains the spool every `interval` seconds or when woken."""

    def __init__(
        self,
        config: Config,
        *,
        interval: float = 2.0,
        now: Callable[[], datetime] = system_clock,
        on_change: Callable[[list[DrainResult]], None] | None = None,
    ):
        self.config = config
        self.interval = interval
        self.now = now
        self.on_change = on_change
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="print-spool", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        store = Store(self.config.db_path)
        try:
            while not self._stop.is_set():
                try:
                    results = drain_once(store, self.config, self.now)
                except Exception:  # the store itself failed; try again next round
                    results = []
                if results and self.on_change:
                    self.on_change(results)
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            store.close()
