"""The print spool: a receipt is a row before it is paper, so it is never lost.

A job is written in the same transaction as the dossier (or ticket) it prints, holding the
document's printable fields as JSON. A background worker (printing/spool_worker.py) sends due
jobs; a failure leaves the job pending with its error and a next attempt time (exponential
backoff with jitter); the officer can retry now, cancel, or send it to another printer.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from counter.errors import IllegalTransition, NotFound
from counter.store import Store
from counter.timeutil import iso, parse_iso

JOB_KINDS = ("receipt", "supplement", "refusal", "extension", "stop", "ticket", "testpage")
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 120.0


@dataclass(frozen=True)
class PrintJob:
    id: int
    created_at: datetime
    kind: str
    ref: str
    printer: str
    document: dict[str, Any]
    copies: int
    reprint: bool
    status: str
    attempts: int
    last_error: str
    next_attempt_at: datetime
    sent_at: datetime | None
    bytes_sha256: str


def _job(row: tuple[Any, ...]) -> PrintJob:
    (
        job_id,
        created,
        kind,
        ref,
        printer,
        document,
        copies,
        reprint,
        status,
        attempts,
        error,
        next_at,
        sent,
        digest,
    ) = row
    return PrintJob(
        job_id,
        parse_iso(created),
        kind,
        ref,
        printer,
        json.loads(document),
        copies,
        bool(reprint),
        status,
        attempts,
        error,
        parse_iso(next_at),
        parse_iso(sent) if sent else None,
        digest,
    )


_COLUMNS = (
    "id, created_at, kind, ref, printer, document, copies, reprint, status, attempts, "
    "last_error, next_attempt_at, sent_at, bytes_sha256"
)


def enqueue(
    db: sqlite_utils.Database,
    *,
    kind: str,
    ref: str,
    printer: str,
    document: dict[str, Any],
    now: datetime,
    copies: int = 1,
    reprint: bool = False,
) -> int:
    """Add a job inside the caller's transaction (the one that saves what it prints)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown print job kind {kind!r}")
    cur = db.conn.execute(
        "INSERT INTO print_jobs(created_at, kind, ref, printer, document, copies, reprint, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            iso(now),
            kind,
            ref,
            printer,
            json.dumps(document, ensure_ascii=False),
            copies,
            int(reprint),
            iso(now),
        ),
    )
    return int(cur.lastrowid or 0)


def due_jobs(store: Store, now: datetime, limit: int = 10) -> list[PrintJob]:
    """Pending jobs whose next attempt is due, oldest first (receipts print in order)."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE status = 'pending' AND next_attempt_at <= ? "
        "ORDER BY id LIMIT ?",
        (iso(now), limit),
    ).fetchall()
    return [_job(r) for r in rows]


def pending_jobs(store: Store) -> list[PrintJob]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE status = 'pending' ORDER BY id"
    ).fetchall()
    return [_job(r) for r in rows]


def pending_state(store: Store) -> tuple[int, int]:
    """(pending jobs, pending jobs whose last try failed), without reading their documents."""
    row = store.conn.execute(
        "SELECT count(*), count(NULLIF(last_error, '')) FROM print_jobs WHERE status = 'pending'"
    ).fetchone()
    return int(row[0]), int(row[1])


def jobs_for(store: Store, ref: str) -> list[PrintJob]:
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE ref = ? ORDER BY id", (ref,)
    ).fetchall()
    return [_job(r) for r in rows]


def get_job(store: Store, job_id: int) -> PrintJob:
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)
    ).fetchone()
    if row is None:
        raise NotFound(f"Không có lệnh in số {job_id}", f"No print job {job_id}")
    return _job(row)


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try: exponential, capped, with full jitter on the upper half."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def mark_sent(store: Store, job_id: int, sha256: str, now: datetime) -> None:
    with store.write() as db:
        db.conn.execute(
            "UPDATE print_jobs SET status = 'sent', sent_at = ?, bytes_sha256 = ?, "
            "attempts = attempts + 1, last_error = '' WHERE id = ? AND status = 'pending'",
            (iso(now), sha256, job_id),
        )


def mark_failed(store: Store, job_id: int, error: str, now: datetime) -> None:
    with store.write() as db:
        row = db.conn.execute("SELECT attempts FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
        attempts = (row[0] if row else 0) + 1
        db.conn.execute(
            "UPDATE print_jobs SET attempts = ?, last_error = ?, next_attempt_at = ? "
            "WHERE id = ? AND status = 'pending'",
            (attempts, error, iso(now + timedelta(seconds=backoff(attempts))), job_id),
        )


def _pending_or_refuse(db: sqlite_utils.Database, job_id: int) -> None:
    row = db.conn.execute("SELECT status FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(f"Không có lệnh in số {job_id}", f"No print job {job_id}")
    if row[0] != "pending":
        raise IllegalTransition("Lệnh in này không còn chờ in", "This job is no longer pending")


def retry_now(store: Store, job_id: int, now: datetime) -> None:
    with store.write() as db:
        _pending_or_refuse(db, job_id)
        db.conn.execute(
            "UPDATE print_jobs SET next_attempt_at = ? WHERE id = ?", (iso(now), job_id)
        )


def cancel(store: Store, job_id: int) -> None:
    with store.write() as db:
        _pending_or_refuse(db, job_id)
        db.conn.execute("UPDATE print_jobs SET status = 'cancelled' WHERE id = ?", (job_id,))


def redirect(store: Store, job_id: int, printer: str, now: datetime) -> None:
    """Send a pending job to another configured printer, now."""
    with store.write() as db:
        _pending_or_refuse(db, job_id)
        db.conn.execute(
            "UPDATE print_jobs SET printer = ?, next_attempt_at = ?, attempts = 0 WHERE id = ?",
            (printer, iso(now), job_id),
        )
