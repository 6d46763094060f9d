"""Rows to records, and the statements both backends also run from the event loop: shared by
the SQL written once (`portal.storage.sql`) and the PostgreSQL backend's async reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime

from counter.protocol import ErrorCode
from portal.storage.dbapi import Row
from portal.storage.models import Change, Device, Rating, StorageError

# Statements both backends run from the sync API (PostgreSQL also from the event loop).
AUTHENTICATE_SQL = "SELECT * FROM devices WHERE token_hash = ?"
CHANGES_SINCE_SQL = (
    "SELECT id, kind, dossier_uuid, data, created_at FROM changes "
    "WHERE device_id = ? AND id > ? ORDER BY id LIMIT ?"
)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def authenticated(row: Row | None) -> Device:
    """The device of a credential's row, or why it may not sync."""
    if row is None:
        raise StorageError(ErrorCode.UNAUTHENTICATED, "unknown or replaced device credential")
    device = device_from_row(row)
    if device.revoked_at is not None:
        raise StorageError(ErrorCode.DEVICE_REVOKED, "this device was revoked by the portal admin")
    return device


def changes_page(rows: Sequence[Row], limit: int) -> tuple[list[Change], bool]:
    """Up to `limit` changes from `limit + 1` rows, and whether more are waiting."""
    changes = [
        Change(r["id"], r["kind"], r["dossier_uuid"], r["created_at"], json.loads(r["data"]))
        for r in rows[:limit]
    ]
    return changes, len(rows) > limit


def rating_from_row(row: Row | None) -> Rating | None:
    if row is None:
        return None
    return Rating(
        dossier_uuid=row["dossier_uuid"],
        overall=row["overall"],
        criteria=json.loads(row["criteria"] or "{}"),
        comment=row["comment"],
        rated_at=row["rated_at"],
        score=int(row["score"]),
    )


DEVICE_COLUMNS = (
    "device_id",
    "agency_code",
    "counter_no",
    "device_secret",
    "enrolled_at",
    "revoked_at",
    "last_seq",
    "last_seen_at",
    "profile",
)
"""The columns `device_from_row` reads (a statement that needs no more selects only these)."""


def device_from_row(row: Row) -> Device:
    return Device(
        device_id=row["device_id"],
        agency_code=row["agency_code"],
        counter_no=int(row["counter_no"]),
        device_secret=row["device_secret"],
        enrolled_at=row["enrolled_at"],
        revoked_at=row["revoked_at"],
        last_seq=int(row["last_seq"]),
        last_seen_at=row["last_seen_at"],
        profile=row["profile"] or "",
    )
