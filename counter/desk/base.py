"""The state every part of the desk shares (config, store, catalogue, clock, the logged-in
officer, the device identity) and the steps they all take: the time, the officer required,
one dossier row read and one change recorded. Its own home so each part of `Desk` reads as
what it does, and the façade in `counter.desk` only assembles them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Self

import sqlite_utils

from counter import history
from counter.auth import Officer
from counter.catalogue import Catalogue, load_catalogue
from counter.config import Config
from counter.errors import AuthError, NotFound
from counter.identity import device_identity
from counter.store import Store
from counter.timeutil import Clock, system_clock, to_vn
from counter.worktime import WorkCalendar


class DeskCore:
    """One store and one logged-in officer at a time."""

    def __init__(
        self,
        config: Config,
        store: Store,
        catalogue: Catalogue,
        *,
        clock: Clock = system_clock,
    ):
        self.config = config
        self.store = store
        self.catalogue = catalogue
        self.calendar = WorkCalendar(config.office_hours, config.holidays)
        self.clock = clock
        self.officer: Officer | None = None
        self.device_id, secret = device_identity(store, config.counter.device_id)
        self.device_secret = bytes.fromhex(secret)
        if store.get_setting("export_signing_key") is not None:  # = signing.KEY_SETTING
            # A key older versions kept in the database goes to its own file. Imported here:
            # cryptography costs start-up time, and only this rare case needs it at start.
            from counter import signing

            signing.move_key_out_of_store(store)

    @classmethod
    def open(cls, config: Config, *, clock: Clock = system_clock) -> Self:
        store = Store(config.db_path)
        return cls(config, store, load_catalogue(config.counter.catalogue), clock=clock)

    def close(self) -> None:
        self.store.close()

    def now(self) -> datetime:
        return to_vn(self.clock())

    def _require_officer(self) -> Officer:
        if self.officer is None:
            raise AuthError("Cần đăng nhập trước", "Please log in first")
        return self.officer

    def _event(
        self,
        db: sqlite_utils.Database,
        row: dict[str, Any],
        action: str,
        from_status: str | None,
        to_status: str,
        officer: Officer,
        now: datetime,
        details: dict[str, Any],
    ) -> None:
        """Timeline event + audit entry + outbox entry, inside the caller's transaction."""
        history.record_change(
            db,
            device_id=self.device_id,
            row=row,
            action=action,
            from_status=from_status,
            to_status=to_status,
            at=now,
            officer_id=officer.id,
            username=officer.username,
            event_officer=officer.username,
            details=details,
        )

    @staticmethod
    def _row(db: sqlite_utils.Database, dossier_uuid: str) -> dict[str, Any]:
        cur = db.conn.execute("SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,))
        row = cur.fetchone()
        if row is None:
            raise NotFound("Không tìm thấy hồ sơ", "Dossier not found")
        return dict(zip([c[0] for c in cur.description], row, strict=True))
