"""The pull appliers: one function per kind of central change (status, correction, rating),
each applying it to a dossier in the caller's transaction or returning why it cannot.

Its own home because a new kind of central change is one function here and one line in
`APPLIERS`; the pull loop (`counter.sync.pull_changes`) does not change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from counter import audit, history
from counter.dossiers import applicant_from_row, representative_from_row, search_text
from counter.lifecycle import STATUSES, find_action, transition
from counter.protocol import CHANGE_CORRECTION, CHANGE_RATING, CHANGE_STATUS, ErrorCode, reason
from counter.store import Store
from counter.sync.state import _when, log
from counter.text import nfc
from counter.timeutil import iso, parse_iso
from counter.worktime import WorkCalendar

CORRECTABLE_FIELDS = ("applicant_phone", "applicant_email", "applicant_address", "note")


@dataclass
class _PullContext:
    device_id: str
    calendar: WorkCalendar
    now: datetime


def _row(store: Store, uuid: str) -> dict[str, Any] | None:
    cur = store.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (uuid,))
    row = cur.fetchone()
    if row is None:
        return None
    return dict(zip([c[0] for c in cur.description], row, strict=True))


def _outcome_entry(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, outcome: str, reason: str
) -> None:
    """Tell the portal what became of a change that made no timeline event here.

    `refused`: the counter did not apply it (the snapshot is its state of truth); `applied`:
    there was nothing to do (the dossier was already in that state).
    """
    row = _row(store, uuid)
    if row is None:
        return
    history.write_outbox(
        store.db,
        "dossier.change_outcome",
        {
            "device_id": ctx.device_id,
            "dossier_uuid": uuid,
            "change_id": change_id,
            "outcome": outcome,
            "reason": reason,
            "dossier": history.snapshot(row),
        },
        ctx.now,
    )


def _record(
    store: Store,
    ctx: _PullContext,
    row: dict[str, Any],
    action: str,
    from_status: str | None,
    at: datetime,
    by: str,
    details: dict[str, Any],
) -> None:
    """Timeline event (no officer) + audit entry + outbox entry, as an officer's action writes."""
    history.record_change(
        store.db,
        device_id=ctx.device_id,
        row=row,
        action=action,
        from_status=from_status,
        to_status=row["status"],
        at=at,
        audit_at=ctx.now,
        officer_id=None,
        username="portal",
        event_officer=f"portal:{by}" if by else "portal",
        details=details,
        audit_extra={"by": by},
    )


# How far ahead of this counter's clock a portal's timestamp may be (clocks drift a little).
FUTURE_TOLERANCE_SECONDS = 300


def _change_time(
    data: dict[str, Any], ctx: _PullContext, row: dict[str, Any] | None = None
) -> datetime:
    """When a central change happened: the portal's `at`, unless it cannot be true (before
    the dossier was received, or ahead of this counter's clock): a portal with a slow or fast
    clock must not date a finish before its receipt. Then the time it reached this counter."""
    try:
        at = parse_iso(str(data["at"]))
    except (KeyError, ValueError, TypeError):
        return ctx.now
    received = _when(row.get("received_at")) if row else None
    if (received is not None and at < received) or (
        (at - ctx.now).total_seconds() > FUTURE_TOLERANCE_SECONDS
    ):
        log.warning("a central change dated %s cannot be right; dated on arrival", iso(at))
        return ctx.now
    return at


def _apply_status(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    row = _row(store, uuid)
    if row is None:
        return reason(ErrorCode.UNKNOWN_DOSSIER, f"no dossier {uuid} on this counter")
    to_status = str(data.get("to_status", ""))
    if to_status not in STATUSES:
        return reason(ErrorCode.UNKNOWN_STATUS, f"{to_status!r}")
    old = row["status"]
    if old == to_status:  # already there (the officer did it too): nothing to change
        _outcome_entry(store, ctx, change_id, uuid, "applied", "already in that status")
        return ""
    action = find_action(old, to_status, row["paused_from_status"])
    if action is None:
        return reason(
            ErrorCode.ILLEGAL_TRANSITION,
            f"the dossier is {STATUSES[old].en.lower()} here, it cannot "
            f"become {STATUSES[to_status].en.lower()}",
        )
    at = _change_time(data, ctx, row)
    by = nfc(str(data.get("by", "")))
    note = nfc(str(data.get("note", "")))
    details: dict[str, Any] = {"change_id": change_id, "action": action, "by": by}
    if note:
        details["note"] = note
    to = nfc(str(data.get("to") or note or by or "portal")) if action == "return_result" else ""
    changes, effects = transition(
        action, row, at, ctx.calendar, to=to, reason=note or "back office"
    )
    details |= effects
    if to:
        details["to"] = to
    _update(store, uuid, changes)
    row |= changes
    _record(store, ctx, row, "portal.status", old, at, by, details)
    return ""


def _update(store: Store, uuid: str, changes: dict[str, Any]) -> None:
    cols = ", ".join(f"{k} = ?" for k in changes)
    store.conn.execute(f"UPDATE dossiers SET {cols} WHERE uuid = ?", (*changes.values(), uuid))


def _apply_correction(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    row = _row(store, uuid)
    if row is None:
        return reason(ErrorCode.UNKNOWN_DOSSIER, f"no dossier {uuid} on this counter")
    fields = data.get("fields")
    if not isinstance(fields, dict) or not fields:
        return reason(ErrorCode.MALFORMED, "a correction without fields")
    bad = sorted(k for k in fields if k not in CORRECTABLE_FIELDS)
    if bad:
        return reason(
            ErrorCode.NOT_CORRECTABLE, f"{', '.join(bad)} cannot be corrected from the portal"
        )
    values = {k: nfc(str(v)).strip() for k, v in fields.items()}
    before = {k: row[k] for k in values}
    at = _change_time(data, ctx, row)
    changes: dict[str, Any] = {**values, "updated_at": iso(at), "version": row["version"] + 1}
    merged = row | values
    applicant = applicant_from_row(merged)
    rep = representative_from_row(merged)
    changes["search_text"] = search_text(row["code"], applicant, rep)
    _update(store, uuid, changes)
    row |= changes
    by = nfc(str(data.get("by", "")))
    details = {
        "change_id": change_id,
        "by": by,
        "fields": {k: {"from": before[k], "to": values[k]} for k in values},
    }
    _record(store, ctx, row, "portal.correction", row["status"], at, by, details)
    return ""


def _apply_rating(
    store: Store, ctx: _PullContext, change_id: int, uuid: str, data: dict[str, Any]
) -> str:
    if _row(store, uuid) is None:
        return reason(ErrorCode.UNKNOWN_DOSSIER, f"no dossier {uuid} on this counter")
    score = data.get("score")
    if not isinstance(score, int) or not 1 <= score <= 5:
        return reason(ErrorCode.MALFORMED, f"rating score {score!r}")
    store.conn.execute(
        "INSERT INTO ratings(change_id, dossier_uuid, score, comment, rated_at, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (
            change_id,
            uuid,
            score,
            nfc(str(data.get("comment", ""))),
            iso(_change_time(data, ctx)),
            iso(ctx.now),
        ),
    )
    audit.record(
        store.db,
        at=iso(ctx.now),
        action="sync.rating",
        username="portal",
        obj=f"dossier:{uuid}",
        details=_rating_details(change_id, score, data),
    )
    return ""


def _rating_details(change_id: int, score: int, data: dict[str, Any]) -> dict[str, Any]:
    """The audit entry of a pulled rating: the 1–5 score, and when the citizen rated on the
    portal's page, the DOMAIN §7 answers (overall: very_satisfied / satisfied / dissatisfied;
    criteria c1–c9 scored 2/1/0), which the `ratings` table has no columns for."""
    details: dict[str, Any] = {"change_id": change_id, "score": score}
    if isinstance(data.get("overall"), str):
        details["overall"] = data["overall"]
    criteria = data.get("criteria")
    if isinstance(criteria, dict):
        details["criteria"] = {
            str(k): v for k, v in criteria.items() if isinstance(v, int) and v in (0, 1, 2)
        }
    return details


# A function applies a change of its kind: '' when applied, else why it was refused.
Applier = Callable[[Store, _PullContext, int, str, dict[str, Any]], str]
APPLIERS: dict[str, Applier] = {
    CHANGE_STATUS: _apply_status,
    CHANGE_CORRECTION: _apply_correction,
    CHANGE_RATING: _apply_rating,
}
