"""The counter's SQLite store: one file, WAL, versioned migrations, durable commits.

Every state change goes through `Store.write()`, one `BEGIN IMMEDIATE` transaction that holds
the row, its timeline event, its audit entry and its outbox entry together. With
`synchronous=FULL` a commit that returned is on disk: a dossier the officer saw saved survives
`kill -9` and power loss.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from counter.migrations import MIGRATIONS, SCHEMA_VERSION, rebuild_table
from counter.private import private_database

BUSY_TIMEOUT_MS = 5000
# Settings that are credentials: kept in the owner-only vault file beside the store
# (`<store>-secrets.db`), never in the store's settings table, so a copy of the store (a
# support request, a backup, a bug report) carries no sync token or device secret.
SECRET_SETTINGS = frozenset({"sync.token", "device_secret"})
# Set by `counter.demo.seed_demo`: this store holds made-up people, never to reach a portal.
DEMO_MARK = "demo_data"
# The schema's migrations have their own module; their names stay importable from here.
__all__ = [
    "BUSY_TIMEOUT_MS",
    "DEMO_MARK",
    "JOURNAL_SIZE_LIMIT",
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "SECRET_SETTINGS",
    "Store",
    "rebuild_table",
]


JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024


class Store:
    """An open counter database. Not thread-safe: give each thread its own Store."""

    def __init__(self, path: Path | str, *, migrate: bool = True):
        self.path = Path(path)
        private_database(self.path)
        private_database(self.vault_path)
        conn = sqlite3.connect(
            self.path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        # No sqlite-utils plugins: finding them scans the entry points of every installed
        # package (50-80 ms of each start), and the counter's connection is its own to set up.
        self.db = sqlite_utils.Database(conn, execute_plugins=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        # After a checkpoint the WAL is cut back to this size: it never keeps a busy day's
        # worth of pages for as long as the app runs.
        conn.execute(f"PRAGMA journal_size_limit = {JOURNAL_SIZE_LIMIT}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("ATTACH DATABASE ? AS vault", (str(self.vault_path),))
        conn.execute("PRAGMA vault.journal_mode = WAL")
        conn.execute("PRAGMA vault.synchronous = FULL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS vault.secrets (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        if migrate:
            self.migrate()
            self._move_secrets()

    @property
    def vault_path(self) -> Path:
        """The owner-only file holding the credentials (`SECRET_SETTINGS`)."""
        return self.path.with_name(self.path.stem + "-secrets.db")

    def _move_secrets(self) -> None:
        """Move credentials an older version kept in the settings table into the vault."""
        marks = ",".join("?" * len(SECRET_SETTINGS))
        keys = tuple(sorted(SECRET_SETTINGS))
        if self.conn.execute(f"SELECT 1 FROM settings WHERE key IN ({marks})", keys).fetchone():
            with self.write():
                self.conn.execute(
                    f"INSERT OR IGNORE INTO vault.secrets(key, value) "
                    f"SELECT key, value FROM settings WHERE key IN ({marks})",
                    keys,
                )
                self.conn.execute(f"DELETE FROM settings WHERE key IN ({marks})", keys)

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self, target: int = SCHEMA_VERSION) -> None:
        """Apply each missing migration in its own transaction, bumping user_version with it."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise RuntimeError(
                f"{self.path}: schema version {current} is newer than this app ({SCHEMA_VERSION})"
            )
        for version in range(current, target):
            with self.write():
                MIGRATIONS[version](self.db)
                self.conn.execute(f"PRAGMA user_version = {version + 1}")

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite_utils.Database]:
        """One durable write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on error."""
        if self.conn.in_transaction:
            with self._savepoint():
                yield self.db
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except BaseException:
            # A failed COMMIT (disk full, I/O error) leaves the transaction open: every later
            # write would nest in it as a savepoint and never reach the disk. Undo it here.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        """A write nested in a transaction (the hub's group commit runs each request in one):
        undone alone on error. One fixed name, unlike sqlite_utils' `atomic()` whose random
        name cost an os.urandom call and a fresh statement to compile every time (SQLite
        releases or rolls back to the innermost savepoint of a name, so nesting still works)."""
        self.conn.execute("SAVEPOINT store_write")
        try:
            yield
        except BaseException:
            # A RAISE(ROLLBACK) or a failed statement may have ended the whole transaction,
            # savepoint included: then there is nothing left to undo here.
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO store_write")
                self.conn.execute("RELEASE store_write")
            raise
        self.conn.execute("RELEASE store_write")

    @staticmethod
    def _table(key: str) -> str:
        return "vault.secrets" if key in SECRET_SETTINGS else "settings"

    def get_setting(self, key: str) -> str | None:
        row = self.conn.execute(
            f"SELECT value FROM {self._table(key)} WHERE key = ?", (key,)
        ).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        with self.write():
            self.conn.execute(
                f"INSERT INTO {self._table(key)}(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def delete_setting(self, key: str) -> None:
        with self.write():
            self.conn.execute(f"DELETE FROM {self._table(key)} WHERE key = ?", (key,))

    def holds_demo_data(self) -> bool:
        return self.get_setting(DEMO_MARK) == "1"

    def close(self) -> None:
        self.conn.close()
