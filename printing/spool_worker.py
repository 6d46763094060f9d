"""Drains the print spool in the background: the officer never waits for paper.

Each due job is rendered from the fields saved with it, claimed (so one worker, in one
process, sends it), sent through its printer's transport, and marked by what the printer
confirmed: sent (with the SHA-256 of the bytes), back to pending when nothing left (refused,
paper out before the job: retried after a backoff), or uncertain when bytes left without a
confirmation (never resent by itself). One thread per printer, each with its own SQLite
connection (connections are per thread), so one stuck printer never holds up another.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from counter import spool
from counter.config import Config, PrinterConfig
from counter.documents import Document, DocumentFieldError, document_from_fields
from counter.errors import CounterError
from counter.store import Store
from counter.timeutil import system_clock
from printing.errors import DeliveryUncertain, PrinterUnavailable
from printing.transports import open_transport

COPY_LABELS = ("Liên 1: Lưu tại cơ quan", "Liên 2: Giao người nộp hồ sơ")
SEND_TIMEOUT_SECONDS = 10.0
log = logging.getLogger("printing.spool")


def build_documents(job: spool.PrintJob) -> list[Document]:
    """The document(s) of a job: one per copy (liên), each labelled, reprints marked.

    Raises counter.documents.DocumentFieldError when the stored fields do not match the form.
    """
    if job.kind != "receipt":
        return [document_from_fields(job.kind, job.document)]
    if job.copies < 2:
        return [document_from_fields(job.kind, job.document, reprint=job.reprint)]
    return [
        document_from_fields(job.kind, job.document, reprint=job.reprint, copy_label=label)
        for label in COPY_LABELS[: job.copies]
    ]


def job_bytes(job: spool.PrintJob, printer: PrinterConfig) -> bytes:
    # Imported at the first job, in the spool's own thread: the render pipeline (Pillow,
    # python-escpos, qrcode) costs more than the rest of the app, and the app starts the
    # spool before the officer can type on the login screen.
    from printing.render import render_job

    return b"".join(render_job(doc, printer).data for doc in build_documents(job))


@dataclass(frozen=True)
class DrainResult:
    job_id: int
    ok: bool
    error: str = ""
    uncertain: bool = False


def printer_by_name(config: Config, name: str) -> PrinterConfig | None:
    return next((p for p in config.printers if p.name == name), None)


HOST = socket.gethostname()
_live_owners: set[str] = set()  # the claim names of workers running in this process
_live_lock = threading.Lock()


def _process_start(pid: int) -> str:
    """When process `pid` started (clock ticks since boot, from /proc), so a pid reused after
    a reboot or a crash is not taken for the worker that claimed a job; "" where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else ""


def _new_owner(label: str) -> str:
    pid = os.getpid()
    owner = f"{HOST}:{pid}:{_process_start(pid)}:{label}-{uuid.uuid4().hex[:8]}"
    with _live_lock:
        _live_owners.add(owner)
    return owner


def _retire(owner: str) -> None:
    with _live_lock:
        _live_owners.discard(owner)


def owner_alive(owner: str) -> bool:
    """Is the worker that claimed a job still running? Another machine's claim (a shared
    file) is not ours to judge; on this machine, its process (or, in ours, its worker) must live."""
    host, _, rest = owner.partition(":")
    pid_text, _, rest = rest.partition(":")
    started, _, _label = rest.partition(":")
    if host != HOST or not pid_text.isdigit():
        return host != HOST
    pid = int(pid_text)
    if pid == os.getpid():
        with _live_lock:
            return owner in _live_owners
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return not started or _process_start(pid) in ("", started)


def send_job(
    store: Store, config: Config, job: spool.PrintJob, owner: str, now: Callable[[], datetime]
) -> DrainResult | None:
    """Claim one due job and send it; None when another worker took it first. Never raises
    for a printer problem: not sent goes back to pending, sent-but-unconfirmed to uncertain."""
    printer = printer_by_name(config, job.printer)
    if printer is None:
        error = f"Không có máy in “{job.printer}” trong cấu hình"
        spool.mark_failed(store, job.id, error, now())
        return DrainResult(job.id, False, error)
    try:
        data = job_bytes(job, printer)
        transport = open_transport(printer)
    except CounterError as exc:  # the settings cannot print it: nothing was sent
        spool.mark_failed(store, job.id, exc.vi, now())
        return DrainResult(job.id, False, exc.vi)
    except DocumentFieldError as exc:  # stored fields that do not match the form (a rename)
        log.exception("print job %s: its stored document does not match the form", job.id)
        error = f"Phiếu in đã lưu không khớp mẫu in: {exc}"
        spool.mark_failed(store, job.id, error, now())
        return DrainResult(job.id, False, error)
    except Exception as exc:  # a rendering bug must not kill the worker; nothing was sent
        log.exception("print job %s: could not be rendered", job.id)
        error = f"Lỗi khi dựng phiếu in: {type(exc).__name__}"
        spool.mark_failed(store, job.id, error, now())
        return DrainResult(job.id, False, error)
    digest = hashlib.sha256(data).hexdigest()
    if not spool.claim(store, job.id, owner, printer.name):
        return None
    try:
        transport.send(data, SEND_TIMEOUT_SECONDS, job_id=f"job-{job.id:06d}")
    except PrinterUnavailable as exc:
        log.warning("print job %s not sent to printer %s: %s", job.id, printer.name, exc.en)
        spool.mark_failed(store, job.id, exc.vi, now())
        return DrainResult(job.id, False, exc.vi)
    except DeliveryUncertain as exc:
        log.warning("print job %s uncertain on printer %s: %s", job.id, printer.name, exc.en)
        spool.mark_uncertain(store, job.id, exc.vi, digest)
        return DrainResult(job.id, False, exc.vi, uncertain=True)
    except Exception as exc:  # a driver bug mid-send: bytes may have left, so ask
        log.exception("print job %s: the transport failed unexpectedly", job.id)
        error = f"Lỗi máy in: {exc}: không rõ phiếu đã in chưa"
        spool.mark_uncertain(store, job.id, error, digest)
        return DrainResult(job.id, False, error, uncertain=True)
    spool.mark_sent(store, job.id, digest, now())
    return DrainResult(job.id, True)


def drain_once(
    store: Store,
    config: Config,
    now: Callable[[], datetime] = system_clock,
    limit: int = 10,
    *,
    printers: tuple[str, ...] | None = None,
    exclude: tuple[str, ...] = (),
    owner: str | None = None,
) -> list[DrainResult]:
    """Try due jobs once (of `printers`, or of any printer not in `exclude`); never raises
    for a printer problem."""
    mine = owner or _new_owner("drain")
    results = []
    failing: set[str] = set()  # a printer that just failed gets no more jobs this round
    try:
        for job in spool.due_jobs(store, now(), limit, printers=printers, exclude=exclude):
            if job.printer in failing:
                continue
            result = send_job(store, config, job, mine, now)
            if result is not None:
                results.append(result)
                if not result.ok:
                    failing.add(job.printer)
    finally:
        if owner is None:
            _retire(mine)
    return results


class SpoolWorker:
    """One daemon thread per printer, each draining its own printer's jobs every `interval`
    seconds or when woken: a stalled or slow printer never delays another.

    `printers` limits the worker to those printers (the kiosk drains only its ticket printer);
    by default every configured printer gets a thread, and the first one also reports jobs
    left for a printer that is no longer configured. On start, jobs a previous run left
    'sending' come back as uncertain (the officer is asked on F3).
    """

    def __init__(
        self,
        config: Config,
        *,
        interval: float = 2.0,
        now: Callable[[], datetime] = system_clock,
        on_change: Callable[[list[DrainResult]], None] | None = None,
        printers: tuple[str, ...] | None = None,
    ):
        self.config = config
        self.interval = interval
        self.now = now
        self.on_change = on_change
        names = printers if printers is not None else tuple(p.name for p in config.printers)
        self._catch_all = printers is None
        self._stop = threading.Event()
        self._wakes = {name: threading.Event() for name in names}
        self._threads = [
            threading.Thread(
                target=self._run, args=(name, i == 0), name=f"print-spool-{name}", daemon=True
            )
            for i, name in enumerate(names)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def wake(self) -> None:
        for event in self._wakes.values():
            event.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))

    @staticmethod
    def _recover(store: Store) -> list[DrainResult]:
        """Jobs left 'sending' by a worker that is gone, now uncertain (F3 asks)."""
        lost = spool.recover_interrupted(store, owner_alive)
        if lost:
            log.warning("print jobs %s were interrupted mid-send: now uncertain", lost)
        return [DrainResult(i, False, spool.INTERRUPTED_VI, uncertain=True) for i in lost]

    def _run(self, name: str, first: bool) -> None:
        owner = _new_owner(f"worker-{name}")
        store = Store(self.config.db_path)
        wake = self._wakes[name]
        others = tuple(p.name for p in self.config.printers)
        try:
            failures = 0
            while not self._stop.is_set():
                results: list[DrainResult] = []
                own: list[DrainResult] = []
                try:
                    if first:  # at start, and later for a kiosk or app that died mid-job
                        results += self._recover(store)
                    own = drain_once(store, self.config, self.now, printers=(name,), owner=owner)
                    results += own
                    if first and self._catch_all:
                        results += drain_once(
                            store, self.config, self.now, exclude=others, owner=owner
                        )
                except Exception:  # the store itself failed; try again next round
                    log.exception("print spool for printer %s: a round failed", name)
                if results and self.on_change:
                    self.on_change(results)
                # After a failure this printer rests (growing, capped) before its next job, so
                # a dead printer is not fed every job in turn; a wake (a new job, "retry now")
                # tries again at once.
                failures = failures + 1 if any(not r.ok for r in own) else 0
                pause = max(self.interval, spool.backoff(failures)) if failures else self.interval
                wake.wait(pause)
                wake.clear()
        finally:
            _retire(owner)
            store.close()
