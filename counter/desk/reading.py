"""Reading dossiers for the screens: one by id or code, its timeline, a day's page, a
search, and the sync state for the status bar. Its own home because it never writes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from counter import search
from counter.desk.base import DeskCore
from counter.dossiers import Dossier, TimelineEvent, dossier_from_row
from counter.errors import NotFound
from counter.timeutil import iso, parse_iso

if TYPE_CHECKING:
    from counter.sync import RejectedEntry, SyncStatus

_DOSSIER_SELECT = (
    "SELECT d.*, o.full_name AS officer_name FROM dossiers d "
    "LEFT JOIN officers o ON o.id = d.officer_id "
)


@dataclass(frozen=True)
class DossierPage:
    """One page of a list of dossiers (a day, a search) and whether more follow."""

    dossiers: list[Dossier]
    total: int
    page: int
    page_size: int
    more: bool = False


class DossierReading(DeskCore):
    """What the screens read; nothing here changes the store."""

    def get(self, dossier_uuid: str) -> Dossier:
        rows = list(self.store.db.query(_DOSSIER_SELECT + "WHERE d.uuid = ?", [dossier_uuid]))
        if not rows:
            raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
        return dossier_from_row(rows[0])

    def by_code(self, code: str) -> Dossier:
        rows = list(
            self.store.db.query(_DOSSIER_SELECT + "WHERE d.code = ?", [code.strip().upper()])
        )
        if not rows:
            raise NotFound(f"Không tìm thấy hồ sơ {code}", f"No dossier {code}")
        return dossier_from_row(rows[0])

    def timeline(self, dossier_uuid: str) -> list[TimelineEvent]:
        return [
            TimelineEvent(
                id=r["id"],
                at=parse_iso(r["at"]),
                action=r["action"],
                from_status=r["from_status"],
                to_status=r["to_status"],
                officer_name=r["officer_name"] or "",
                details=json.loads(r["details"]),
            )
            for r in self.store.db.query(
                "SELECT e.*, o.full_name AS officer_name FROM dossier_events e "
                "LEFT JOIN officers o ON o.id = e.officer_id "
                "WHERE e.dossier_uuid = ? ORDER BY e.id",
                [dossier_uuid],
            )
        ]

    def received_on(self, day: date, page: int = 0, page_size: int = 50) -> DossierPage:
        """The dossiers received on one day, newest first, one page at a time."""
        start = datetime.combine(day, datetime.min.time(), tzinfo=self.now().tzinfo)
        lo, hi = iso(start), iso(start + timedelta(days=1))
        total = self.store.conn.execute(
            "SELECT count(*) FROM dossiers WHERE received_at >= ? AND received_at < ?", (lo, hi)
        ).fetchone()[0]
        rows = self.store.db.query(
            _DOSSIER_SELECT + "WHERE d.received_at >= ? AND d.received_at < ? "
            "ORDER BY d.received_at DESC LIMIT ? OFFSET ?",
            [lo, hi, page_size, page * page_size],
        )
        return DossierPage([dossier_from_row(r) for r in rows], int(total), page, page_size)

    def today(self, page: int = 0, page_size: int = 50) -> DossierPage:
        return self.received_on(self.now().date(), page, page_size)

    def search(self, query: str, page: int = 0, page_size: int = 20) -> DossierPage:
        result = search.search(self.store.db, query, page, page_size)
        found = {d.uuid: d for d in self._many(result.uuids)}
        return DossierPage(
            [found[u] for u in result.uuids if u in found],
            result.total,
            result.page,
            result.page_size,
            result.more,
        )

    def _many(self, uuids: list[str]) -> list[Dossier]:
        if not uuids:
            return []
        marks = ",".join("?" * len(uuids))
        return [
            dossier_from_row(r)
            for r in self.store.db.query(_DOSSIER_SELECT + f"WHERE d.uuid IN ({marks})", uuids)
        ]

    def sync_status(self) -> SyncStatus:
        """The sync state for the status bar (read from SQLite, never the network)."""
        from counter import sync

        return sync.sync_status(self.store, self.config)

    def rejected_entries(self) -> list[RejectedEntry]:
        """Entries the portal refused (or central changes we could not apply), with reasons."""
        from counter import sync

        return sync.rejected_entries(self.store)
