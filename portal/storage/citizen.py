"""The citizen page's storage: the one-read view of a dossier and the failed-lookup rate
limit shared by every worker; its own home because it is the only part facing the public."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from portal.storage.base import SQLBase
from portal.storage.dbapi import Connection, Row
from portal.storage.models import CitizenView
from portal.storage.rows import iso, rating_from_row


def _rows_by_client(c: Connection, keys: list[str]) -> dict[str, Row]:
    """The rate limit's rows of `keys`, by key."""
    marks = ", ".join("?" for _ in keys)
    rows = c.execute(
        f"SELECT client, window_start, failures FROM lookup_failures WHERE client IN ({marks})",
        keys,
    ).fetchall()
    return {row["client"]: row for row in rows}


class CitizenPage(SQLBase):
    """The reads of the status page and its rate limit."""

    # -- rate limit of the citizen page ----------------------------------------------------

    def _limits(self, client: str, prefix: str | None) -> list[tuple[str, int]]:
        """(key, free failures) of every counter a failed lookup adds to: the client address,
        and the code prefix (agency and day) the lookup named, from whatever address. Keys
        are keyed hashes (`client_hash`), never the address or the code; a prefix's is
        marked ("prefix:…", which no address looks like)."""
        limits = [(self.client_hash(client), self.lookup_max_failures)]
        if prefix:
            key = self.client_hash(f"prefix:{prefix}")
            limits.append((key, self.lookup_max_prefix_failures))
        return limits

    def lookup_blocked(self, client: str, prefix: str | None = None) -> int:
        """Seconds until a failed lookup from `client` (naming `prefix`) counts again."""
        now = self.clock()
        limits = self._limits(client, prefix)
        with self._read() as c:
            rows = _rows_by_client(c, [key for key, _ in limits])
        return max(self._blocked_for(rows.get(key), free, now) for key, free in limits)

    def lookup_failed(self, client: str, prefix: str | None = None) -> int:
        """Count one failed lookup from `client` naming the code prefix `prefix`; return the
        seconds its next failure must wait (0: none), i.e. whether to answer HTTP 429.

        A failure that arrives while a counter's delay runs is refused and not counted: the
        delay doubles with each failure that *is* counted, so an enumerator gets its free
        failures and then about one evaluated guess per doubling (1 s, 2 s, 4 s … up to
        `lookup_window`), while the count of a key quiet for twice `lookup_window` is
        forgotten.
        Receipts that verify are never refused (`portal.page`), so a centre's citizens behind
        one public address are not locked out by one enumerator among them.
        """
        now = self.clock()
        limits = self._limits(client, prefix)
        # Quiet for twice the longest delay: forgotten. (Once, a key was reset as soon as the
        # longest delay ran out, which gave an enumerator its free failures again.)
        expired = iso(now - 2 * self.lookup_window)
        with self._tx() as c:
            rows = _rows_by_client(c, [key for key, _ in limits])
            waiting = max(self._blocked_for(rows.get(key), free, now) for key, free in limits)
            if waiting:
                return waiting
            for key, free in limits:  # always in the same order: no deadlock between workers
                row = c.execute(
                    "INSERT INTO lookup_failures(client, window_start, failures) VALUES (?, ?, 1) "
                    "ON CONFLICT(client) DO UPDATE SET "
                    "failures = CASE WHEN lookup_failures.window_start < ? THEN 1 "
                    "ELSE lookup_failures.failures + 1 END, "
                    "window_start = excluded.window_start "
                    "RETURNING window_start, failures",
                    (key, iso(now), expired),
                ).fetchone()
                waiting = max(waiting, self._blocked_for(row, free, now))
            if secrets.randbelow(50) == 0:  # now and then, forget quiet keys
                c.execute("DELETE FROM lookup_failures WHERE window_start < ?", (expired,))
        return waiting

    def citizen_view(self, dossier_uuid: str) -> CitizenView:
        """The dossier `dossier_uuid` with its timeline and rating, in one connection checkout
        (PostgreSQL overrides it with one statement)."""
        with self._read() as c:
            row = c.execute("SELECT * FROM dossiers WHERE uuid = ?", (dossier_uuid,)).fetchone()
            if row is None:
                return CitizenView(None, [], None)
            events = c.execute(
                "SELECT * FROM dossier_events WHERE dossier_uuid = ? ORDER BY seq",
                (dossier_uuid,),
            ).fetchall()
            rating = c.execute(
                "SELECT * FROM ratings WHERE dossier_uuid = ? AND legacy = 0", (dossier_uuid,)
            ).fetchone()
        return CitizenView(dict(row), [dict(e) for e in events], rating_from_row(rating))

    def _blocked_for(self, row: Row | None, free: int, now: datetime) -> int:
        """Seconds left of the delay a counter's row imposes: none for its first `free - 1`
        failures, then 1 s after the `free`-th, doubling with each further one, at most
        `lookup_window`; `window_start` holds the latest counted failure."""
        if row is None or int(row["failures"]) < free:
            return 0
        excess = min(int(row["failures"]) - free, 40)
        delay = min(timedelta(seconds=2**excess), self.lookup_window)
        until = datetime.fromisoformat(row["window_start"]) + delay
        return int((until - now).total_seconds()) + 1 if until > now else 0
