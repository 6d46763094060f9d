"""Push: the ingest log and the projections it feeds, applied exactly once; and retention.
Its own home because exactly-once is the portal's hardest promise and reads best in one place.

Exactly-once ingest (protocol v1, docs/sync-protocol.md): each device has `last_seq`, the
highest outbox sequence the portal has applied *or rejected*. A pushed batch is processed in
sequence order inside one transaction that also advances `last_seq`; an entry at or below
`last_seq` is a duplicate and changes nothing; an entry above it is processed only if its
predecessor (the batch's `after_seq`, then the previous entry) is `last_seq`, so nothing is
skipped. The answer is sent only after the commit, and the counter moves its checkpoint only
after the answer, so a lost answer means a harmless duplicate on the next push.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from counter.codes import parse_code
from counter.lifecycle import STATUSES
from counter.protocol import (
    ENTRY_CHANGE_OUTCOME,
    ENTRY_DOSSIER_EVENT,
    ErrorClass,
    ErrorCode,
    reason,
)
from portal.storage.base import SQLBase
from portal.storage.dbapi import Connection
from portal.storage.models import (
    SUPPORTED_KINDS,
    Device,
    Entry,
    Halt,
    PushOutcome,
    StorageError,
    canonical_json,
    minimal_payload,
    minimal_snapshot,
)
from portal.storage.rows import iso, sha256_hex

FOREIGN = reason(ErrorCode.WRONG_DEVICE, "the entry names device")
_MAX_INT = 2**63 - 1
# A dossier's version counts its changes, and the portal adds one per back-office change
# (`set_status`): a counter's version near 2**63 made that addition overflow the database
# (a server error on every later change). 2**53 − 1 leaves that headroom and stays exact as a
# number in a browser's JSON.
MAX_VERSION = 2**53 - 1
_TEXT_FIELDS = ("uuid", "code", "status", "received_at", "due_at", "procedure_code")
_OPTIONAL_TEXT = (
    "procedure_name",
    "applicant_name",
    "finished_at",
    "returned_at",
    "ticket",
    "updated_at",
)


def _int_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= _MAX_INT


def _snapshot_problem(snap: dict[str, Any]) -> str:
    """Why a snapshot cannot be stored as is ('' when it can): types, sizes, NUL bytes."""
    if "\\u0000" in canonical_json(snap):
        return "the dossier snapshot holds a NUL character"
    for key in _TEXT_FIELDS:
        if not isinstance(snap.get(key), str):
            return f"the snapshot's {key} must be text"
    for key in _OPTIONAL_TEXT:
        if snap.get(key) is not None and not isinstance(snap.get(key), str):
            return f"the snapshot's {key} must be text"
    if not _int_ok(snap.get("version")) or snap["version"] > MAX_VERSION:
        return f"the snapshot's version must be an integer from 0 to {MAX_VERSION}"
    if snap.get("status_code") is not None and not _int_ok(snap.get("status_code")):
        return "the snapshot's status_code must be a non-negative integer"
    return ""


def _entry_hash(entry: Entry, payload_text: str) -> str:
    return sha256_hex(f"{entry.kind}\n{entry.schema_version}\n{payload_text}")


class Ingest(SQLBase):
    """Applying pushed batches (see the module docstring) and forgetting what is no longer needed."""

    # -- retention -------------------------------------------------------------------------

    def purge(self, *, closed_days: float, payload_days: float) -> dict[str, int]:
        """Forget what the portal no longer needs (`counter-portal purge`).

        - ingest payloads older than `payload_days` become `{}`: a retry is answered from the
          payload hash, which stays, so only the text a person could read goes; so do the
          contact corrections the counter has answered;
        - dossiers closed (refused, withdrawn, stopped, returned) more than `closed_days`
          ago are deleted with their timeline, ticket, rating and back-office changes;
        - whole dossier rows stored before minimisation (issue 19) are cut down.
        """
        now = self.clock()
        payload_cut = iso(now - timedelta(days=payload_days))
        closed_cut = iso(now - timedelta(days=closed_days))
        closed = tuple(name for name, st in STATUSES.items() if st.terminal)
        marks = ",".join("?" * len(closed))
        with self._tx() as c:
            pruned = c.execute(
                "UPDATE ingest SET payload = '{}' WHERE received_at < ? AND payload != '{}'",
                (payload_cut,),
            ).rowcount
            # Contact corrections the counter has answered: their phone, e-mail or address
            # are on the counter now.
            pruned += c.execute(
                "UPDATE changes SET data = '{}' WHERE kind = 'dossier.correction' "
                "AND outcome != 'pending' AND created_at < ? AND data != '{}'",
                (payload_cut,),
            ).rowcount
            uuids = [
                str(r["uuid"])
                for r in c.execute(
                    f"SELECT uuid FROM dossiers WHERE status IN ({marks}) "
                    "AND COALESCE(returned_at, finished_at, updated_at) < ?",
                    (*closed, closed_cut),
                ).fetchall()
            ]
            for uuid in uuids:
                for table in ("dossier_events", "tickets", "ratings", "changes"):
                    c.execute(f"DELETE FROM {table} WHERE dossier_uuid = ?", (uuid,))
                c.execute("DELETE FROM dossiers WHERE uuid = ?", (uuid,))
            minimised = self._minimise_old_rows(c)
        return {"payloads": int(pruned or 0), "dossiers": len(uuids), "minimised": minimised}

    # A field only whole rows from counters before issue 19 carry.
    _WHOLE_ROW_MARK = '%"applicant_id"%'

    def _minimise_old_rows(self, c: Connection) -> int:
        """Cut snapshots and ingest payloads stored before minimisation down to
        `PORTAL_FIELDS` (the payload hash, which answers retries, is kept as it was)."""
        done = 0
        for row in c.execute(
            "SELECT uuid, snapshot FROM dossiers WHERE snapshot LIKE ?", (self._WHOLE_ROW_MARK,)
        ).fetchall():
            snap = minimal_snapshot(json.loads(row["snapshot"]))
            c.execute(
                "UPDATE dossiers SET snapshot = ? WHERE uuid = ?",
                (canonical_json(snap), row["uuid"]),
            )
            done += 1
        for row in c.execute(
            "SELECT device_id, seq, payload FROM ingest WHERE payload LIKE ?",
            (self._WHOLE_ROW_MARK,),
        ).fetchall():
            c.execute(
                "UPDATE ingest SET payload = ? WHERE device_id = ? AND seq = ?",
                (
                    canonical_json(minimal_payload(json.loads(row["payload"]))),
                    row["device_id"],
                    row["seq"],
                ),
            )
            done += 1
        return done

    # -- push ------------------------------------------------------------------------------

    def ingest(self, device: Device, after_seq: int, entries: list[Entry]) -> PushOutcome:
        """Apply a batch once and in order, in one transaction; see the module docstring."""
        now = self._now()
        with self._tx() as c:
            row = self._lock_device(c, device.device_id)
            if row is None or row["revoked_at"] is not None:
                raise StorageError(ErrorCode.DEVICE_REVOKED, "this device was revoked")
            last = int(row["last_seq"])
            out = PushOutcome(last_seq=last, accepted_through=after_seq)
            prev = after_seq
            for entry in entries:
                if entry.seq <= last:
                    self._duplicate(c, device, entry, out)
                elif prev != last:
                    out.halt = Halt(
                        ErrorClass.RETRY,
                        ErrorCode.SEQUENCE_GAP,
                        f"entry {entry.seq} follows {prev}, but the portal has applied "
                        f"up to {last}: resend from {last}",
                        {"last_seq": last},
                    )
                    break
                else:
                    version = SUPPORTED_KINDS.get(entry.kind)
                    if version is not None and entry.schema_version > version:
                        out.halt = Halt(
                            ErrorClass.RETRY,
                            ErrorCode.SCHEMA_UNSUPPORTED,
                            f"{entry.kind} schema {entry.schema_version} is newer than this "
                            f"portal ({version}): the portal must be upgraded",
                            {"kind": entry.kind, "max_schema_version": version},
                        )
                        break
                    why = self._apply(c, device, entry, now)
                    if why.startswith(FOREIGN):
                        # Not this device's entry (a stolen credential, a copied store): it
                        # must not use up the device's sequence numbers. Nothing is recorded.
                        out.halt = Halt(
                            ErrorClass.REJECTED, ErrorCode.FOREIGN_ENTRY, why, {"last_seq": last}
                        )
                        break
                    text = canonical_json(entry.payload)
                    kept = canonical_json(minimal_payload(entry.payload))
                    c.execute(
                        "INSERT INTO ingest(device_id, seq, kind, schema_version, created_at, "
                        "received_at, payload_hash, status, reason, payload) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            device.device_id,
                            entry.seq,
                            entry.kind,
                            entry.schema_version,
                            entry.created_at,
                            now,
                            _entry_hash(entry, text),
                            "rejected" if why else "applied",
                            why,
                            kept,
                        ),
                    )
                    if why:
                        out.rejected.append((entry.seq, why))
                    else:
                        out.applied += 1
                    last = entry.seq
                out.accepted_through = entry.seq
                prev = entry.seq
            c.execute(
                "UPDATE devices SET last_seq = ?, last_seen_at = ? WHERE device_id = ?",
                (last, now, device.device_id),
            )
            out.last_seq = last
        return out

    def _duplicate(self, c: Connection, device: Device, entry: Entry, out: PushOutcome) -> None:
        """An entry already processed: report its recorded outcome, change nothing."""
        out.duplicates += 1
        row = c.execute(
            "SELECT payload_hash, status, reason FROM ingest WHERE device_id = ? AND seq = ?",
            (device.device_id, entry.seq),
        ).fetchone()
        if row is None:
            return
        if row["payload_hash"] != _entry_hash(entry, canonical_json(entry.payload)):
            out.rejected.append(
                (
                    entry.seq,
                    reason(
                        ErrorCode.SEQUENCE_REUSED,
                        "the portal already holds a different entry with this "
                        "sequence number (was the counter's database replaced?)",
                    ),
                )
            )
        elif row["status"] == "rejected":
            out.rejected.append((entry.seq, row["reason"]))

    def _apply(self, c: Connection, device: Device, entry: Entry, now: str) -> str:
        """Project one entry; return '' when applied or the reason it is rejected."""
        if entry.local_reject:
            return reason(ErrorCode.COUNTER_REJECTED, entry.local_reject)
        if entry.problem:
            return reason(ErrorCode.MALFORMED, entry.problem)
        if entry.kind not in SUPPORTED_KINDS:
            return reason(
                ErrorCode.UNKNOWN_KIND, f"this portal does not know entries of kind {entry.kind!r}"
            )
        p = entry.payload
        if not isinstance(p, dict):
            return reason(ErrorCode.MALFORMED, "the payload is not a JSON object")
        if p.get("device_id") != device.device_id:
            return f"{FOREIGN} {p.get('device_id')!r}"
        snap = p.get("dossier")
        if not isinstance(snap, dict) or snap.get("uuid") != p.get("dossier_uuid"):
            return reason(
                ErrorCode.MALFORMED, "the dossier snapshot is missing or names another dossier"
            )
        missing = [
            k
            for k in ("code", "status", "version", "received_at", "due_at", "procedure_code")
            if k not in snap
        ]
        if missing:
            return reason(ErrorCode.MALFORMED, f"the dossier snapshot lacks {', '.join(missing)}")
        problem = _snapshot_problem(snap)
        if problem:
            return reason(ErrorCode.MALFORMED, problem)
        if snap["status"] not in STATUSES:
            return reason(ErrorCode.MALFORMED, f"unknown status {snap['status']!r}")
        parsed = parse_code(str(snap["code"]))
        if parsed is None:
            return reason(ErrorCode.MALFORMED, f"{snap['code']!r} is not a dossier code")
        if parsed.agency != device.agency_code or parsed.counter_no != device.counter_no:
            return reason(
                ErrorCode.WRONG_COUNTER,
                f"dossier code {snap['code']} is not from counter "
                f"{device.counter_no} of agency {device.agency_code}",
            )
        # The dossier itself (its owner and version) and any other dossier holding its code,
        # in one statement.
        owner = clash = None
        for known in c.execute(
            "SELECT uuid, device_id, version FROM dossiers WHERE uuid = ? OR code = ?",
            (snap["uuid"], snap["code"]),
        ).fetchall():
            if known["uuid"] == snap["uuid"]:
                owner = known
            else:
                clash = known
        if owner is not None and owner["device_id"] != device.device_id:
            return reason(
                ErrorCode.WRONG_DEVICE, f"dossier {snap['uuid']} belongs to another device"
            )
        if clash is not None:
            return reason(
                ErrorCode.CODE_CLASH,
                f"dossier code {snap['code']} is already used by another dossier",
            )
        if entry.kind == ENTRY_DOSSIER_EVENT:
            event = p.get("event")
            if not isinstance(event, dict) or not _int_ok(event.get("id")):
                return reason(ErrorCode.MALFORMED, "the event is missing or has no id")
            if not all(isinstance(event.get(k, ""), str) for k in ("at", "action", "to_status")):
                return reason(
                    ErrorCode.MALFORMED, "the event's at, action and to_status must be text"
                )
            held = c.execute(
                "SELECT dossier_uuid, action, at FROM dossier_events "
                "WHERE device_id = ? AND event_id = ?",
                (device.device_id, event["id"]),
            ).fetchone()
            if held is not None and (held["dossier_uuid"], held["action"], held["at"]) != (
                snap["uuid"],
                str(event.get("action", "")),
                str(event.get("at", "")),
            ):
                # Another event holds this id (a store copied back without `counter restore`):
                # rejected and shown, never dropped in silence.
                return reason(
                    ErrorCode.EVENT_ID_REUSED,
                    f"event {event['id']} of this device is another event "
                    "(was the counter's database restored without `counter restore`?)",
                )
        refused = entry.kind == ENTRY_CHANGE_OUTCOME and p.get("outcome") != "applied"
        if owner is None or int(snap["version"]) >= int(owner["version"]) or refused:
            # A refusal is the counter's word on a central change: its state stands even
            # though the change raised the portal's version (`set_status`).
            self._project(c, device, snap, now)
        if entry.kind == ENTRY_DOSSIER_EVENT:
            self._event(c, device, entry.seq, snap["uuid"], p["event"])
        else:  # dossier.change_outcome: a change the counter refused, or had nothing to do for
            outcome = "applied" if p.get("outcome") == "applied" else "refused"
            self._outcome(c, device, p.get("change_id"), outcome, str(p.get("reason", "")), now)
        return ""

    def _project(self, c: Connection, device: Device, snap: dict[str, Any], now: str) -> None:
        parsed = parse_code(str(snap["code"]))
        assert parsed is not None
        values = (
            snap["uuid"],
            device.device_id,
            snap["code"],
            parsed.agency,
            parsed.counter_no,
            snap.get("procedure_code", ""),
            snap.get("procedure_name", ""),
            snap.get("applicant_name", ""),
            snap["status"],
            int(snap.get("status_code") or STATUSES[snap["status"]].dvcqg),
            snap["received_at"],
            snap["due_at"],
            snap.get("finished_at"),
            snap.get("returned_at"),
            snap.get("ticket") or "",
            int(snap["version"]),
            snap.get("updated_at") or now,
            now,
            canonical_json(minimal_snapshot(snap)),
        )
        c.execute(
            "INSERT INTO dossiers(uuid, device_id, code, agency_code, counter_no, procedure_code, "
            "procedure_name, applicant_name, status, status_code, received_at, due_at, "
            "finished_at, returned_at, ticket, version, updated_at, synced_at, snapshot) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(uuid) DO UPDATE SET code = excluded.code, "
            "procedure_code = excluded.procedure_code, procedure_name = excluded.procedure_name, "
            "applicant_name = excluded.applicant_name, status = excluded.status, "
            "status_code = excluded.status_code, received_at = excluded.received_at, "
            "due_at = excluded.due_at, finished_at = excluded.finished_at, "
            "returned_at = excluded.returned_at, ticket = excluded.ticket, "
            "version = excluded.version, updated_at = excluded.updated_at, "
            "synced_at = excluded.synced_at, snapshot = excluded.snapshot",
            values,
        )
        if snap.get("ticket"):
            c.execute(
                "INSERT INTO tickets(dossier_uuid, device_id, ticket, day) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(dossier_uuid) DO UPDATE SET ticket = excluded.ticket",
                (snap["uuid"], device.device_id, snap["ticket"], str(snap["received_at"])[:10]),
            )

    def _event(
        self, c: Connection, device: Device, seq: int, uuid: str, event: dict[str, Any]
    ) -> None:
        details = event.get("details") or {}
        c.execute(
            "INSERT INTO dossier_events(device_id, event_id, dossier_uuid, seq, at, action, "
            "from_status, to_status, officer, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            (
                device.device_id,
                event["id"],
                uuid,
                seq,
                str(event.get("at", "")),
                str(event.get("action", "")),
                event.get("from_status"),
                str(event.get("to_status", "")),
                str(event.get("officer") or ""),
                canonical_json(details),
            ),
        )
        if isinstance(details, dict) and details.get("change_id") is not None:
            self._outcome(c, device, details["change_id"], "applied", "", str(event.get("at", "")))

    def _outcome(
        self,
        c: Connection,
        device: Device,
        change_id: Any,
        outcome: str,
        reason: str,
        at: str,
    ) -> None:
        if not isinstance(change_id, int):
            return
        c.execute(
            "UPDATE changes SET outcome = ?, outcome_reason = ?, outcome_at = ? "
            "WHERE id = ? AND device_id = ?",
            (outcome, reason, at, change_id, device.device_id),
        )
