"""The audit trail: append-only and hash-chained, so an edited, inserted or deleted row shows.

Each entry's hash covers the previous entry's hash and its own canonical content; triggers
refuse UPDATE and DELETE, and `verify_chain` finds where a copy of the file was tampered with.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlite_utils

GENESIS = "0" * 64


def _digest(
    prev_hash: str,
    at: str,
    officer_id: int | None,
    username: str,
    action: str,
    obj: str,
    details: str,
) -> str:
    canonical = json.dumps(
        [prev_hash, at, officer_id, username, action, obj, details],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record(
    db: sqlite_utils.Database,
    *,
    at: str,
    action: str,
    officer_id: int | None = None,
    username: str = "",
    obj: str = "",
    details: dict[str, Any] | None = None,
) -> str:
    """Append one audit entry inside the caller's transaction; returns its hash."""
    row = db.conn.execute("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    prev = row[0] if row else GENESIS
    body = json.dumps(details or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    digest = _digest(prev, at, officer_id, username, action, obj, body)
    db.conn.execute(
        "INSERT INTO audit(at, officer_id, username, action, object, details, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (at, officer_id, username, action, obj, body, prev, digest),
    )
    return digest


@dataclass(frozen=True)
class ChainProblem:
    audit_id: int
    problem: str


def verify_chain(db: sqlite_utils.Database) -> list[ChainProblem]:
    """Walk the chain; report each row whose link or content does not match."""
    problems: list[ChainProblem] = []
    prev = GENESIS
    expected_id: int | None = None
    for row in db.conn.execute(
        "SELECT id, at, officer_id, username, action, object, details, prev_hash, hash "
        "FROM audit ORDER BY id"
    ):
        audit_id, at, officer_id, username, action, obj, details, prev_hash, digest = row
        if expected_id is not None and audit_id != expected_id:
            problems.append(ChainProblem(audit_id, f"rows {expected_id}…{audit_id - 1} missing"))
        if prev_hash != prev:
            problems.append(ChainProblem(audit_id, "link to the previous entry is broken"))
        if _digest(prev_hash, at, officer_id, username, action, obj, details) != digest:
            problems.append(ChainProblem(audit_id, "content does not match its hash"))
        prev = digest
        expected_id = audit_id + 1
    return problems
