"""`counter.migrations.rebuild_table`, the one way a migration changes a table SQLite cannot alter
in place: every row and value kept, every index and trigger put back, and a rebuild that
would lose a column, a row or a foreign key rolls the whole migration back.

Drills the class (any table, any rows), not only the v7 print spool that first needed it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.migrations import MIGRATIONS, rebuild_table
from counter.store import Store

TEXT = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
ROWS = st.lists(
    st.tuples(TEXT, st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1)), TEXT), max_size=30
)


def _schema(conn: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT type, name FROM sqlite_master WHERE tbl_name = ? ORDER BY type, name", (table,)
    ).fetchall()


def _db() -> sqlite_utils.Database:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.executescript(
        """
        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            size INTEGER,
            body TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX notes_title ON notes(title);
        CREATE UNIQUE INDEX notes_title_body ON notes(title, body, id);
        CREATE TABLE log (note_id INTEGER, what TEXT);
        CREATE TRIGGER notes_logged AFTER INSERT ON notes BEGIN
            INSERT INTO log VALUES (new.id, 'added');
        END;
        """
    )
    return sqlite_utils.Database(conn)


NEW_COLUMNS = """
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    size INTEGER CHECK (size IS NULL OR typeof(size) = 'integer'),
    body TEXT NOT NULL DEFAULT '',
    owner TEXT NOT NULL DEFAULT 'nobody'
"""


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(rows=ROWS)
def test_a_rebuild_keeps_every_row_index_and_trigger(
    rows: list[tuple[str, int | None, str]],
) -> None:
    db = _db()
    conn = db.conn
    conn.executemany("INSERT INTO notes(title, size, body) VALUES (?, ?, ?)", rows)
    before = conn.execute("SELECT id, title, size, body FROM notes ORDER BY id").fetchall()
    shape = _schema(conn, "notes")
    conn.execute("BEGIN IMMEDIATE")
    rebuild_table(db, "notes", NEW_COLUMNS)
    conn.execute("COMMIT")
    after = conn.execute("SELECT id, title, size, body, owner FROM notes ORDER BY id").fetchall()
    assert [r[:4] for r in after] == before
    assert {r[4] for r in after} <= {"nobody"}
    assert _schema(conn, "notes") == shape  # indexes and trigger put back
    conn.execute("INSERT INTO notes(title) VALUES ('sau')")
    assert conn.execute("SELECT count(*) FROM log").fetchone()[0] == len(rows) + 1
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_rebuild_that_would_drop_a_column_changes_nothing() -> None:
    db = _db()
    conn = db.conn
    conn.execute("INSERT INTO notes(title, size, body) VALUES ('Hộ tịch', 3, 'giữ')")
    conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(RuntimeError, match="body"):
        rebuild_table(db, "notes", "id INTEGER PRIMARY KEY, title TEXT NOT NULL, size INTEGER")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT title, size, body FROM notes").fetchall() == [("Hộ tịch", 3, "giữ")]
    assert [r[1] for r in conn.execute("PRAGMA table_info(notes)")] == [
        "id",
        "title",
        "size",
        "body",
    ]


def test_a_rebuild_whose_new_check_refuses_a_row_rolls_the_migration_back(
    tmp_path: Path,
) -> None:
    """A stricter CHECK that an existing row fails: the store stays at the old version with
    every row, never half-migrated."""
    store = Store(tmp_path / "c.db", migrate=False)
    store.migrate(6)
    with store.write():
        store.conn.execute(
            "INSERT INTO print_jobs(created_at, kind, printer, document, next_attempt_at) "
            "VALUES ('t', 'receipt', 'quay', '{}', 't')"
        )

    def strict(db: sqlite_utils.Database) -> None:
        rebuild_table(db, "print_jobs", NEW_PRINT_JOBS_REFUSING_PENDING)

    try:
        MIGRATIONS[6], saved = strict, MIGRATIONS[6]
        with pytest.raises(sqlite3.IntegrityError):
            store.migrate()
    finally:
        MIGRATIONS[6] = saved
    assert store.version == 6
    assert store.conn.execute("SELECT count(*) FROM print_jobs").fetchone()[0] == 1
    names = {r[1] for r in _schema(store.conn, "print_jobs")}
    assert names == {"print_jobs", "print_jobs_pending", "print_jobs_ref"}
    store.close()


NEW_PRINT_JOBS_REFUSING_PENDING = """
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL DEFAULT '',
    printer TEXT NOT NULL,
    document TEXT NOT NULL,
    copies INTEGER NOT NULL DEFAULT 1,
    reprint INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('sent')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT NOT NULL,
    sent_at TEXT,
    bytes_sha256 TEXT NOT NULL DEFAULT ''
"""


def test_the_v7_rebuild_gives_the_schema_a_new_store_has(tmp_path: Path) -> None:
    """Migrated from v6 with a job in the spool, or created today: the same print_jobs."""
    old = Store(tmp_path / "old.db", migrate=False)
    old.migrate(6)
    with old.write():
        old.conn.execute(
            "INSERT INTO print_jobs(created_at, kind, printer, document, next_attempt_at, status) "
            "VALUES ('t', 'receipt', 'quay', '{\"x\": \"Đức\"}', 't', 'sent')"
        )
    old.migrate()
    fresh = Store(tmp_path / "new.db")
    sql = "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'print_jobs' ORDER BY name"
    assert old.conn.execute(sql).fetchall() == fresh.conn.execute(sql).fetchall()
    row = old.conn.execute("SELECT status, document, claimed_by FROM print_jobs").fetchone()
    assert row == ("sent", '{"x": "Đức"}', "")
    old.close()
    fresh.close()
