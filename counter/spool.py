"""The print spool: a receipt is a row before it is paper, so it is never lost nor doubled.

A job is written in the same transaction as the dossier (or ticket) it prints, holding the
typed document's fields as JSON (`counter.documents.document_fields`; read back strictly by
`document_from_fields`). Background workers (printing/spool_worker.py, one per
printer) send due jobs. A job's status says honestly where it is:

- `pending`: not sent (or known not printed); safe to send, at `next_attempt_at` (exponential
  backoff with jitter after a failure);
- `sending`: claimed by one worker (`claimed_by`), so no other worker or process sends it too;
  one left by a worker that is gone becomes uncertain (checked by a running worker each round);
- `sent`: the printer confirmed it (or the officer said it came out);
- `uncertain`: bytes left without a confirmation, or the app stopped mid-job; it is never sent
  again by itself: the officer answers "did it print?" on F3, and the answer is audited;
- `cancelled`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlite_utils

from counter.backoff import Backoff
from counter.documents import DOCUMENT_KINDS, Document, document_fields, kind_of
from counter.errors import IllegalTransition, NotFound
from counter.store import Store
from counter.timeutil import iso, parse_iso

JOB_KINDS = tuple(DOCUMENT_KINDS)  # "receipt", "supplement", … "ticket", "testpage"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 120.0

WAITING = ("pending", "sending", "uncertain")  # what F3 lists: not yet known to be on paper
INTERRUPTED_VI = "Ứng dụng dừng khi đang gửi lệnh in: không rõ phiếu đã in chưa"


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
    document: Document,
    now: datetime,
    copies: int = 1,
    reprint: bool = False,
) -> int:
    """Add a job inside the caller's transaction (the one that saves what it prints)."""
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown print job kind {kind!r}")
    if kind_of(document) != kind:
        raise ValueError(f"a {kind_of(document)} document is not a {kind!r} print job")
    cur = db.conn.execute(
        "INSERT INTO print_jobs(created_at, kind, ref, printer, document, copies, reprint, "
        "next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            iso(now),
            kind,
            ref,
            printer,
            json.dumps(document_fields(document), ensure_ascii=False),
            copies,
            int(reprint),
            iso(now),
        ),
    )
    return int(cur.lastrowid or 0)


def due_jobs(
    store: Store,
    now: datetime,
    limit: int = 10,
    *,
    printers: tuple[str, ...] | None = None,
    exclude: tuple[str, ...] = (),
) -> list[PrintJob]:
    """Pending jobs whose next attempt is due, oldest first (receipts print in order), for
    `printers` only (one worker per printer) or for any printer not in `exclude`."""
    where, args = "status = 'pending' AND next_attempt_at <= ?", [iso(now)]
    if printers is not None:
        where += f" AND printer IN ({', '.join('?' * len(printers))})"
        args += printers
    if exclude:
        where += f" AND printer NOT IN ({', '.join('?' * len(exclude))})"
        args += exclude
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE {where} ORDER BY id LIMIT ?", (*args, limit)
    ).fetchall()
    return [_job(r) for r in rows]


def pending_jobs(store: Store) -> list[PrintJob]:
    """Jobs not yet known to be on paper: waiting, being sent, or awaiting the officer."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE status IN {WAITING} ORDER BY id"
    ).fetchall()
    return [_job(r) for r in rows]


def pending_state(store: Store) -> tuple[int, int]:
    """(jobs not yet on paper, of which failing or uncertain), without reading documents."""
    row = store.conn.execute(
        "SELECT count(*), count(CASE WHEN last_error != '' OR status = 'uncertain' THEN 1 END) "
        f"FROM print_jobs WHERE status IN {WAITING}"
    ).fetchone()
    return int(row[0]), int(row[1])


def uncertain_count(store: Store) -> int:
    """Jobs the officer must answer for ("Máy in có in ra không?")."""
    row = store.conn.execute("SELECT count(*) FROM print_jobs WHERE status = 'uncertain'")
    return int(row.fetchone()[0])


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


# A printer that failed is tried again after 2 s, 4 s, … up to 2 min, jittered on the upper half.
PRINT_BACKOFF = Backoff(base=BACKOFF_BASE_SECONDS, cap=BACKOFF_CAP_SECONDS, floor=0.5)


def backoff(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try of a job that failed `attempts` times (`counter.backoff`)."""
    return PRINT_BACKOFF.delay(max(1, attempts), rng)


def claim(store: Store, job_id: int, owner: str, printer: str | None = None) -> bool:
    """Take a pending job for sending (on `printer`, the one it was rendered for); False when
    another worker or process took it first, or it was cancelled or moved meanwhile.
    Committed before any byte leaves, so a crash mid-send leaves it 'sending', not 'pending'."""
    with store.write() as db:
        cur = db.conn.execute(
            "UPDATE print_jobs SET status = 'sending', claimed_by = ? "
            "WHERE id = ? AND status = 'pending' AND printer = coalesce(?, printer)",
            (owner, job_id, printer),
        )
    return cur.rowcount == 1


def mark_sent(store: Store, job_id: int, sha256: str, now: datetime) -> None:
    """The printer confirmed the whole job."""
    with store.write() as db:
        db.conn.execute(
            "UPDATE print_jobs SET status = 'sent', sent_at = ?, bytes_sha256 = ?, "
            "attempts = attempts + 1, last_error = '' WHERE id = ? AND status IN "
            "('pending', 'sending')",
            (iso(now), sha256, job_id),
        )


def mark_failed(store: Store, job_id: int, error: str, now: datetime) -> None:
    """Nothing of the job left: back to pending, tried again after a backoff."""
    with store.write() as db:
        row = db.conn.execute("SELECT attempts FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
        attempts = (row[0] if row else 0) + 1
        db.conn.execute(
            "UPDATE print_jobs SET status = 'pending', claimed_by = '', attempts = ?, "
            "last_error = ?, next_attempt_at = ? WHERE id = ? AND status IN "
            "('pending', 'sending')",
            (attempts, error, iso(now + timedelta(seconds=backoff(attempts))), job_id),
        )


def mark_uncertain(store: Store, job_id: int, error: str, sha256: str = "") -> None:
    """Bytes left without a confirmation: never sent again until the officer answers."""
    with store.write() as db:
        db.conn.execute(
            "UPDATE print_jobs SET status = 'uncertain', attempts = attempts + 1, "
            "last_error = ?, bytes_sha256 = ? WHERE id = ? AND status IN ('pending', 'sending')",
            (error, sha256, job_id),
        )


def recover_interrupted(store: Store, alive: Callable[[str], bool]) -> list[int]:
    """Jobs left 'sending' by a worker that is gone (the app quit or crashed mid-job) become
    uncertain: their bytes may have reached the printer, so they are not resent by themselves."""
    rows = store.conn.execute(
        "SELECT id, claimed_by FROM print_jobs WHERE status = 'sending'"
    ).fetchall()
    lost = [job_id for job_id, owner in rows if not alive(owner)]
    if not lost:  # the usual case, checked every round: no write, no fsync
        return []
    with store.write() as db:
        for job_id in lost:
            db.conn.execute(
                "UPDATE print_jobs SET status = 'uncertain', last_error = ? "
                "WHERE id = ? AND status = 'sending'",
                (INTERRUPTED_VI, job_id),
            )
    return lost


def resolve_uncertain(db: sqlite_utils.Database, job_id: int, printed: bool, now: datetime) -> None:
    """The officer's answer, inside the caller's (audited) transaction: it printed (sent), or
    it did not (pending, due now: it prints once more)."""
    row = db.conn.execute("SELECT status FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(f"Không có lệnh in số {job_id}", f"No print job {job_id}")
    if row[0] != "uncertain":
        raise IllegalTransition(
            "Lệnh in này không ở trạng thái chờ xác nhận", "This job is not awaiting an answer"
        )
    if printed:
        db.conn.execute(
            "UPDATE print_jobs SET status = 'sent', sent_at = ?, last_error = '' WHERE id = ?",
            (iso(now), job_id),
        )
    else:
        db.conn.execute(
            "UPDATE print_jobs SET status = 'pending', claimed_by = '', last_error = '', "
            "next_attempt_at = ? WHERE id = ?",
            (iso(now), job_id),
        )


def _pending_or_refuse(
    db: sqlite_utils.Database, job_id: int, allowed: tuple[str, ...] = ("pending",)
) -> None:
    row = db.conn.execute("SELECT status FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(f"Không có lệnh in số {job_id}", f"No print job {job_id}")
    if row[0] == "uncertain" and "uncertain" not in allowed:
        raise IllegalTransition(
            "Chưa rõ lệnh in này đã in ra chưa: trả lời câu hỏi trước (c: đã in, k: chưa in)",
            "Whether this job printed is unknown: answer first (c: printed, k: did not)",
        )
    if row[0] not in allowed:
        raise IllegalTransition("Lệnh in này không còn chờ in", "This job is no longer pending")


def retry_now(store: Store, job_id: int, now: datetime) -> None:
    with store.write() as db:
        _pending_or_refuse(db, job_id)
        db.conn.execute(
            "UPDATE print_jobs SET next_attempt_at = ? WHERE id = ?", (iso(now), job_id)
        )


def cancel(store: Store, job_id: int) -> None:
    with store.write() as db:
        _pending_or_refuse(db, job_id, ("pending", "uncertain"))
        db.conn.execute("UPDATE print_jobs SET status = 'cancelled' WHERE id = ?", (job_id,))


def redirect(store: Store, job_id: int, printer: str, now: datetime) -> None:
    """Send a pending job to another configured printer, now."""
    with store.write() as db:
        _pending_or_refuse(db, job_id)
        db.conn.execute(
            "UPDATE print_jobs SET printer = ?, next_attempt_at = ?, attempts = 0 WHERE id = ?",
            (printer, iso(now), job_id),
        )
