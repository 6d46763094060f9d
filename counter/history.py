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


# What the portal needs of a dossier, and nothing more (Decree 13/2023: the minimum data):
# the citizen page (masked name, procedure, status, dates, fee and payment, where the result
# is collected, the form texts of Mẫu 02–05), the back office's work (status, deadlines) and
# statistics (field, channel, counter, timeliness). Never the ID number, phone, e-mail,
# address, representative, documents, note or officer: those stay on the counter. Names (the
# applicant, who collected the result) are shown masked by the page.
# docs/portal.md lists each field and why.
PORTAL_FIELDS = frozenset(
    {
        "uuid",
        "code",
        "device_id",
        "counter_no",
        "version",
        "updated_at",
        "procedure_code",
        "procedure_name",
        "field",
        "applicant_kind",
        "applicant_name",
        "sets_count",
        "fee_amount",
        "payment_method",
        "payment_state",
        "channel",
        "delivery",
        "duration",
        "duration_unit",
        "status",
        "status_code",
        "received_at",
        "due_at",
        "paused_at",
        "paused_from_status",
        "finished_at",
        "returned_at",
        "returned_to",
        "closed_reason",
        "ticket",
        "supplement_request",
        "refusal_reason",
        "extended_due_at",
        "extension_reason",
        "stop_reason",
        "withdraw_reason",
        "timeliness",  # added by `snapshot`: the one date rule, as of the event
    }
)


def snapshot(row: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """The dossier as the portal receives it: only `PORTAL_FIELDS`, with its timeliness as of
    `at` judged by the one rule (`counter.timeliness`)."""
    snap = {k: v for k, v in row.items() if k in PORTAL_FIELDS}
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
