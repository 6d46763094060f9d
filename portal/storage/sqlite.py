"""The default storage backend: one SQLite file, and the schema migrations applied to it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from counter.private import private_database
from portal.storage.models import utc_now
from portal.storage.schema import MIGRATIONS, SCHEMA_VERSION, change_id_floor
from portal.storage.sql import SQLStorage


def apply_migration(conn: sqlite3.Connection, version: int) -> None:
    """Migration `version + 1` of the one schema (`portal.storage.schema`), in SQLite's words,
    inside the caller's transaction (executescript would COMMIT it)."""
    migration = MIGRATIONS[version]
    for statement in migration.statements("sqlite"):
        conn.execute(statement)
    if migration.data is not None:
        migration.data(conn)


class SQLiteStorage(SQLStorage):
    """The default storage: one SQLite file (WAL, `synchronous=FULL`).

    One connection guarded by a lock in this process; `BEGIN IMMEDIATE` serialises writers
    across processes too (several workers on one file work; PostgreSQL scales further).
    """

    def __init__(self, path: Path | str, *, clock: Callable[[], datetime] = utc_now):
        self.path = Path(path)
        private_database(self.path)  # citizens' data: owner-only, WAL and SHM included
        self.clock = clock
        self._device_cache = {}
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=10, check_same_thread=False
        )
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA busy_timeout = 10000")
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        self.migrate()
        self._raise_change_floor()
        self.load_hash_key()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply each missing migration in its own transaction, up to `target`."""
        for version in range(target):
            with self._tx():
                current = self.version  # read under the write lock: another process may race
                if current > SCHEMA_VERSION:
                    raise RuntimeError(
                        f"{self.path}: portal schema {current} is newer than this portal "
                        f"({SCHEMA_VERSION})"
                    )
                if current != version:
                    continue
                apply_migration(self.conn, version)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    def _raise_change_floor(self) -> None:
        floor = change_id_floor(self.clock())
        with self._tx() as c:
            row = c.execute("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").fetchone()
            if row is None:
                c.execute("INSERT INTO sqlite_sequence(name, seq) VALUES ('changes', ?)", (floor,))
            elif int(row["seq"]) < floor:
                c.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'changes'", (floor,))

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self.conn

    def _unique_violation(self, exc: BaseException) -> bool:
        return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Read-only SQL for tests and reports."""
        with self._read() as c:
            return [tuple(r) for r in c.execute(sql, args).fetchall()]
