"""The plumbing every part of the SQL storage stands on: what a backend provides (one write
transaction, reads, locks), the installation's hash key and the database's lifetime (epoch,
change ids); its own home so the parts (devices, ingest, back office, citizen page) share it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from portal.storage.dbapi import Connection, Row, one
from portal.storage.models import Device
from portal.storage.rows import iso
from portal.storage.schema import new_epoch_id


class SQLBase:
    """What every part of the SQL storage relies on (see `portal.storage.sql.SQLStorage`).

    A backend provides `_tx()` (one write transaction, serialised as each backend needs),
    `_read()` (a connection for reads), `_FOR_UPDATE` (how `_lock_device` locks a device's
    row), `_serialize()` (a global lock for enrollment) and `_unique_violation()`. Statements
    use `?` placeholders; the PostgreSQL backend translates them.
    """

    clock: Callable[[], datetime]
    # Failed lookups free of delay per client address, and per code prefix (agency and day,
    # from any address); the longest delay, and the quiet time after which a count is forgotten.
    lookup_max_failures: int = 10
    lookup_max_prefix_failures: int = 100
    lookup_window: timedelta = timedelta(minutes=15)
    # How long `devices_by_short_id(…, cached=True)` may answer from this process's memory
    # (the citizen page; 0: always ask the database). See `devices_by_short_id`.
    device_cache_seconds: float = 10.0
    _device_cache: dict[str, tuple[float, list[Device]]]
    _DEVICE_CACHE_MAX = 10_000  # short ids remembered at most (a city has a few thousand)

    def _tx(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    # Appended to `_lock_device`'s read: PostgreSQL locks the row (SQLite has one writer).
    _FOR_UPDATE = ""

    def _lock_device(self, c: Connection, device_id: str) -> Row | None:
        """Serialise writes touching one device (its ingest and the changes queued for it,
        whose ids must commit in order); its row (`last_seq`, `revoked_at`), or None."""
        return c.execute(
            "SELECT last_seq, revoked_at FROM devices WHERE device_id = ?" + self._FOR_UPDATE,
            (device_id,),
        ).fetchone()

    def _serialize(self, c: Connection, key: int) -> None:
        """A lock held to the end of the transaction (PostgreSQL: an advisory lock)."""

    def _unique_violation(self, exc: BaseException) -> bool:
        raise NotImplementedError

    def _now(self) -> str:
        return iso(self.clock())

    # The key of `client_hash`: `[security] hash_key` (or COUNTER_PORTAL_HASH_KEY) when set,
    # else made once per installation and kept in `portal_secrets` (shared by every worker).
    hash_key: bytes = b""

    def load_hash_key(self, configured: str = "") -> None:
        """Called once the schema is migrated (and before serving)."""
        if configured:
            self.hash_key = configured.encode("utf-8")
            return
        with self._tx() as c:
            c.execute(
                "INSERT INTO portal_secrets(name, value) VALUES ('client_hash_key', ?) "
                "ON CONFLICT(name) DO NOTHING",
                (secrets.token_hex(32),),
            )
            row = one(c.execute("SELECT value FROM portal_secrets WHERE name = 'client_hash_key'"))
        self.hash_key = bytes.fromhex(str(row["value"]))

    def client_hash(self, client: str) -> str:
        """A keyed hash of a client address: an unsalted SHA-256 of an IPv4 address is undone
        by hashing all 2^32 of them; without the key no address can be tried."""
        if not self.hash_key:
            raise RuntimeError("load_hash_key() was not called")
        return hmac.new(self.hash_key, client.encode("utf-8"), hashlib.sha256).hexdigest()

    def close(self) -> None:
        raise NotImplementedError

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    # -- the database's lifetime -----------------------------------------------------------

    _epoch: str = ""

    def epoch(self) -> str:
        """This database's identity (see `new_epoch`); read once per process."""
        if not self._epoch:
            with self._read() as c:
                row = one(c.execute("SELECT value FROM portal_meta WHERE key = 'epoch'"))
            self._epoch = str(row["value"])
        return self._epoch

    def new_epoch(self) -> str:
        """Mark this database as restored (`counter-portal restored`): a new epoch, which
        tells every counter to pull again from the start, and change ids raised past the
        clock. Restart the portal's other workers afterwards."""
        epoch = new_epoch_id()
        with self._tx() as c:
            c.execute("UPDATE portal_meta SET value = ? WHERE key = 'epoch'", (epoch,))
        self._raise_change_floor()
        self._epoch = epoch
        return epoch

    def _raise_change_floor(self) -> None:
        raise NotImplementedError

    def latest_change_id(self, device_id: str) -> int:
        """The newest change id queued for this device (0: none)."""
        with self._read() as c:
            row = one(
                c.execute("SELECT max(id) AS m FROM changes WHERE device_id = ?", (device_id,))
            )
        return int(row["m"] or 0)

    def max_event_id(self, device_id: str) -> int:
        """The highest timeline event id this device has sent (0: none): a counter restored
        from a backup numbers its new events past it, so none is taken for a duplicate."""
        with self._read() as c:
            row = one(
                c.execute(
                    "SELECT max(event_id) AS m FROM dossier_events WHERE device_id = ?",
                    (device_id,),
                )
            )
        return int(row["m"] or 0)
