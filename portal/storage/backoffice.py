"""The back office and the pull: status changes, corrections and ratings queued for the
counter that holds a dossier, the changes a counter pulls, and the portal's own reads."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool

from counter.errors import InvalidInput
from counter.lifecycle import STATUSES, find_action, require_details
from counter.protocol import CHANGE_CORRECTION, CHANGE_RATING, CHANGE_STATUS, ErrorCode
from portal.storage.base import SQLBase
from portal.storage.dbapi import Connection, Row, one
from portal.storage.models import (
    CORRECTABLE_FIELDS,
    RATING_CRITERIA,
    RATING_OVERALL,
    Change,
    Rating,
    StorageError,
    canonical_json,
)
from portal.storage.rows import CHANGES_SINCE_SQL, changes_page, rating_from_row


class BackOffice(SQLBase):
    """What the back office and the admin API do to dossiers, and what counters pull."""

    # -- pull ------------------------------------------------------------------------------

    def changes_since(self, device_id: str, cursor: int, limit: int) -> tuple[list[Change], bool]:
        with self._read() as c:
            rows = c.execute(CHANGES_SINCE_SQL, (device_id, cursor, limit + 1)).fetchall()
        return changes_page(rows, limit)

    async def changes_since_async(
        self, device_id: str, cursor: int, limit: int
    ) -> tuple[list[Change], bool]:
        """`changes_since` for a handler on the event loop (PostgreSQL reads it there)."""
        return await run_in_threadpool(self.changes_since, device_id, cursor, limit)

    # -- back office -----------------------------------------------------------------------

    def _find(self, c: Connection, ref: str) -> Row:
        row = c.execute(
            "SELECT * FROM dossiers WHERE uuid = ? OR code = ?", (ref.strip(), ref.strip().upper())
        ).fetchone()
        if row is None:
            raise StorageError(ErrorCode.NOT_FOUND, f"no dossier {ref} on the portal")
        return row

    def _change(
        self,
        c: Connection,
        row: Row,
        kind: str,
        data: dict[str, Any],
        by: str,
        now: str,
    ) -> Change:
        new = one(
            c.execute(
                "INSERT INTO changes(device_id, dossier_uuid, kind, data, created_at, "
                "created_by) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (row["device_id"], row["uuid"], kind, canonical_json(data), now, by),
            )
        )
        return Change(int(new["id"]), kind, row["uuid"], now, data)

    def _find_locked(self, c: Connection, ref: str) -> Row:
        """The dossier, read again after locking its device (the order ingest locks in)."""
        row = self._find(c, ref)
        self._lock_device(c, row["device_id"])
        return self._find(c, row["uuid"])

    def set_status(
        self, dossier: str, to_status: str, *, by: str, note: str = "", to: str = ""
    ) -> Change:
        """The back office moves a dossier (e.g. to `processing`, `result_ready`)."""
        if to_status not in STATUSES:
            raise StorageError(
                ErrorCode.INVALID_STATUS,
                f"unknown status {to_status!r} (known: {', '.join(STATUSES)})",
            )
        now = self._now()
        with self._tx() as c:
            row = self._find_locked(c, dossier)
            snap = json.loads(row["snapshot"])
            action = find_action(row["status"], to_status, snap.get("paused_from_status"))
            if action is None:
                raise StorageError(
                    ErrorCode.ILLEGAL_TRANSITION,
                    f"dossier {row['code']} is {row['status']}: it cannot move to {to_status}",
                )
            try:  # the lifecycle's rule, as at the counter (a note names the recipient too)
                require_details(action, reason=note, to=to or note)
            except InvalidInput as missing:
                if missing.field == "to":
                    raise StorageError(
                        ErrorCode.RECIPIENT_REQUIRED, "say who collected the result (--to)"
                    ) from None
                raise StorageError(
                    ErrorCode.REASON_REQUIRED, f"{action} needs a reason (--note)"
                ) from None
            # The version goes up, so a counter entry written before the counter saw this
            # change (same version) cannot overwrite it; the counter's echo (version + 1) does.
            c.execute(
                "UPDATE dossiers SET status = ?, status_code = ?, version = version + 1 "
                "WHERE uuid = ?",
                (to_status, STATUSES[to_status].dvcqg, row["uuid"]),
            )
            data = {"to_status": to_status, "action": action, "note": note, "by": by, "at": now}
            if to:
                data["to"] = to
            return self._change(c, row, CHANGE_STATUS, data, by, now)

    def correct(self, dossier: str, fields: dict[str, str], *, by: str) -> Change:
        """The back office corrects contact details or the note of a dossier."""
        bad = sorted(set(fields) - set(CORRECTABLE_FIELDS))
        if bad or not fields:
            raise StorageError(
                ErrorCode.INVALID_FIELD,
                f"only {', '.join(CORRECTABLE_FIELDS)} can be corrected (got {bad or 'nothing'})",
            )
        now = self._now()
        with self._tx() as c:
            row = self._find_locked(c, dossier)
            return self._change(
                c, row, CHANGE_CORRECTION, {"fields": fields, "by": by, "at": now}, by, now
            )

    def add_rating(self, dossier: str, score: int, comment: str = "") -> Change:
        """A rating recorded by the back office (1–5), passed on to the counter that served."""
        if not 1 <= score <= 5:
            raise StorageError(ErrorCode.INVALID_SCORE, f"a rating is 1–5, got {score}")
        return self._rate(dossier, score, "", {}, comment, "back-office")

    def submit_rating(
        self, dossier_uuid: str, overall: str, criteria: dict[str, int], comment: str = ""
    ) -> Change:
        """A citizen's DOMAIN §7 rating from the status page: nine criteria scored 2/1/0 and
        the overall answer. One per dossier (a unique index), only once the result is
        returned; passed on to the counter as a `rating` change (score 5/3/1 for protocol v1
        counters, the criteria beside it)."""
        if overall not in RATING_OVERALL:
            raise StorageError(
                ErrorCode.INVALID_RATING, f"overall must be one of {list(RATING_OVERALL)}"
            )
        if set(criteria) != set(RATING_CRITERIA) or any(
            v not in (0, 1, 2) or isinstance(v, bool) for v in criteria.values()
        ):
            raise StorageError(ErrorCode.INVALID_RATING, "criteria c1–c9 must each be 2, 1 or 0")
        return self._rate(
            dossier_uuid, RATING_OVERALL[overall], overall, criteria, comment, "citizen"
        )

    def _rate(
        self,
        dossier: str,
        score: int,
        overall: str,
        criteria: dict[str, int],
        comment: str,
        source: str,
    ) -> Change:
        comment = comment.strip()[:1000]
        now = self._now()
        try:
            with self._tx() as c:
                row = self._find_locked(c, dossier)
                if source == "citizen" and row["status"] != "returned":
                    raise StorageError(
                        ErrorCode.NOT_RETURNED, "a dossier is rated once its result is returned"
                    )
                new = one(
                    c.execute(
                        "INSERT INTO ratings(dossier_uuid, score, comment, rated_at, overall, "
                        "criteria, source) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (
                            row["uuid"],
                            score,
                            comment,
                            now,
                            overall,
                            canonical_json(criteria),
                            source,
                        ),
                    )
                )
                data: dict[str, Any] = {
                    "rating_id": int(new["id"]),
                    "score": score,
                    "comment": comment,
                    "at": now,
                }
                if overall:
                    data |= {"overall": overall, "criteria": criteria}
                by = "citizen" if source == "citizen" else "back-office"
                return self._change(c, row, CHANGE_RATING, data, by, now)
        except Exception as exc:
            if self._unique_violation(exc):
                raise StorageError(ErrorCode.ALREADY_RATED, "this dossier has been rated") from None
            raise

    def rating_of(self, dossier_uuid: str) -> Rating | None:
        with self._read() as c:
            row = c.execute(
                "SELECT * FROM ratings WHERE dossier_uuid = ? AND legacy = 0", (dossier_uuid,)
            ).fetchone()
        return rating_from_row(row)

    def ratings(self, limit: int = 500) -> list[dict[str, Any]]:
        """The newest ratings with their dossier's code and counter (for the supervisor)."""
        with self._read() as c:
            rows = c.execute(
                "SELECT r.id, r.dossier_uuid, d.code, d.agency_code, d.counter_no, r.score, "
                "r.overall, r.criteria, r.comment, r.rated_at, r.source FROM ratings r "
                "JOIN dossiers d ON d.uuid = r.dossier_uuid ORDER BY r.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        out = []
        for r in rows:
            item = dict(r)
            item["criteria"] = json.loads(item["criteria"] or "{}")
            out.append(item)
        return out

    # -- reading ---------------------------------------------------------------------------

    def dossier(self, ref: str) -> dict[str, Any] | None:
        with self._read() as c:
            row = c.execute(
                "SELECT * FROM dossiers WHERE uuid = ? OR code = ?",
                (ref.strip(), ref.strip().upper()),
            ).fetchone()
        return None if row is None else dict(row)

    def timeline(self, dossier_uuid: str) -> list[dict[str, Any]]:
        with self._read() as c:
            rows = c.execute(
                "SELECT * FROM dossier_events WHERE dossier_uuid = ? ORDER BY seq",
                (dossier_uuid,),
            ).fetchall()
        return [dict(r) for r in rows]

    def change(self, change_id: int) -> dict[str, Any] | None:
        with self._read() as c:
            row = c.execute("SELECT * FROM changes WHERE id = ?", (change_id,)).fetchone()
        return None if row is None else dict(row)

    def rejections(self, device_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT device_id, seq, kind, created_at, received_at, reason FROM ingest "
            "WHERE status = 'rejected'"
        )
        args: tuple[Any, ...] = ()
        if device_id:
            sql += " AND device_id = ?"
            args = (device_id,)
        with self._read() as c:
            rows = c.execute(sql + " ORDER BY received_at, seq", args).fetchall()
        return [dict(r) for r in rows]
