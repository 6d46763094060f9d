"""One home for what a dossier state change leaves behind, whoever makes it.

An officer's action (Desk) and a change pulled from the portal (sync) both write the same
three things inside the caller's transaction: the append-only timeline event, the hash-chained
audit entry and the outbox entry the portal will receive.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlite_utils

from counter import audit
from counter.protocol import SNAPSHOT_FIELDS
from counter.timeliness import timeliness
from counter.timeutil import iso, parse_iso

OUTBOX_SCHEMA_VERSION = 1  # of the entries this counter writes (docs/sync-protocol.md)


def write_outbox(
    db: sqlite_utils.Database, kind: str, payload: dict[str, Any], at: datetime
) -> None:
    db.conn.execute(
        "INSERT INTO outbox(kind, schema_version, payload, created_at) VALUES (?, ?, ?, ?)",
        (
            kind,
            OUTBOX_SCHEMA_VERSION,
            json.dumps(payload, ensure_ascii=False, sort_keys=True),
            iso(at),
        ),
    )


# What the portal needs of a dossier, and nothing more: the fields `DossierSnapshot` of the
# protocol declares (Decree 13/2023: the minimum data; docs/portal.md lists each and why).
PORTAL_FIELDS = SNAPSHOT_FIELDS


def snapshot(row: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """The dossier as the portal receives it: only the fields the protocol declares
    (`DossierSnapshot`), whatever else the local row holds, with its timeliness as of `at`
    judged by the one rule (`counter.timeliness`)."""
    snap: dict[str, Any] = {k: v for k, v in row.items() if k in SNAPSHOT_FIELDS}
    if at is not None:
        due, done = row.get("due_at"), row.get("finished_at")
        snap["timeliness"] = timeliness(
            str(row.get("status")),
            parse_iso(due) if due else None,
            parse_iso(done) if done else None,
            at,
        )
    return snap


# Settings key: timeline event ids start above this (see `counter.sync.rebase_numbers`).
EVENT_ID_FLOOR = "events.id_floor"


def record_change(
    db: sqlite_utils.Database,
    *,
    device_id: str,
    row: dict[str, Any],
    action: str,
    from_status: str | None,
    to_status: str,
    at: datetime,
    officer_id: int | None,
    username: str,
    event_officer: str,
    details: dict[str, Any],
    audit_extra: dict[str, Any] | None = None,
    audit_at: datetime | None = None,
) -> int:
    """Timeline event + audit entry + outbox entry; returns the event's id."""
    # The id follows the store's last event and the floor a rebase set (`EVENT_ID_FLOOR`:
    # after a restored backup, past the ids the portal already holds for this device).
    cur = db.conn.execute(
        "INSERT INTO dossier_events(id, dossier_uuid, at, action, from_status, to_status, "
        "officer_id, details) VALUES ((SELECT max(coalesce((SELECT max(id) FROM "
        "dossier_events), 0), coalesce((SELECT CAST(value AS INTEGER) FROM settings "
        f"WHERE key = '{EVENT_ID_FLOOR}'), 0)) + 1), ?, ?, ?, ?, ?, ?, ?)",
        (
            row["uuid"],
            iso(at),
            action,
            from_status,
            to_status,
            officer_id,
            json.dumps(details, ensure_ascii=False, sort_keys=True),
        ),
    )
    event_id = int(cur.lastrowid or 0)
    audit.record(
        db,
        at=iso(audit_at or at),
        action=f"dossier.{action}",
        officer_id=officer_id,
        username=username,
        obj=f"dossier:{row['code']}",
        details={"from": from_status, "to": to_status, **(audit_extra or {}), **details},
    )
    write_outbox(
        db,
        "dossier.event",
        {
            "device_id": device_id,
            "dossier_uuid": row["uuid"],
            "event": {
                "id": event_id,
                "at": iso(at),
                "action": action,
                "from_status": from_status,
                "to_status": to_status,
                "officer": event_officer,
                "details": details,
            },
            "dossier": snapshot(row, at),
        },
        audit_at or at,
    )
    return event_id
