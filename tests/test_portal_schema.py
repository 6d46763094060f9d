"""The portal's schema on SQLite and on PostgreSQL is one schema, and its migrations are a line.

Both databases are migrated from `portal.storage.schema.MIGRATIONS`; these tests read back
what each database really holds (tables, columns with their type, nullability and default,
primary keys, unique constraints, indexes with their predicate) and require the same shape,
so a migration spelt for one database only, or a dialect word that changes the meaning, fails
here. An integer column on PostgreSQL must be as wide as SQLite's (64 bits) unless storage
bounds what it holds: otherwise a number SQLite stores makes PostgreSQL refuse the batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.storage import MIGRATIONS, SCHEMA_VERSION, SQLiteStorage
from portal.storage.schema import DIALECT_WORDS
from portal.storage.sqlite import apply_migration
from tests.schema_shape import pg_shape, sqlite_shape
from tests.support.pg import PgCluster, pg_cluster  # noqa: F401  (fixture)

# 32-bit integer columns on PostgreSQL, each with what keeps its values small. Any other
# integer column must be BIGINT, as wide as every SQLite INTEGER.
NARROW_INTEGERS = {
    ("enrollment_codes", "counter_no"): "create_enrollment_code: 1–99",
    ("devices", "counter_no"): "the code's counter number: two digits",
    ("dossiers", "counter_no"): "the code's counter number: two digits",
    ("ratings", "score"): "CHECK (score BETWEEN 1 AND 5)",
    ("ratings", "legacy"): "0 or 1",
    ("lookup_failures", "failures"): "one per failed lookup, forgotten after a quiet window",
}


def _sqlite_at(path: Path, version: int) -> sqlite3.Connection:
    """A SQLite portal database migrated to `version`, one transaction per step."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    start = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for step in range(start, version):
        conn.execute("BEGIN IMMEDIATE")
        apply_migration(conn, step)
        conn.execute(f"PRAGMA user_version = {step + 1}")
        conn.execute("COMMIT")
    return conn


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:  # noqa: F811
    return pg_cluster.create_database()


@pytest.fixture
def pg_conn(pg_url: str) -> Iterator[Any]:
    import psycopg
    from psycopg.rows import dict_row

    with psycopg.connect(pg_url, autocommit=True, row_factory=dict_row) as conn:
        yield conn


def test_sqlite_and_postgresql_hold_the_same_schema(tmp_path: Path, pg_url: str) -> None:
    from portal.storage.pg import PostgresStorage

    lite = SQLiteStorage(tmp_path / "portal.db")
    pg = PostgresStorage(pg_url, max_size=1)
    try:
        on_sqlite = sqlite_shape(lite.conn)
        on_pg, widths = pg_shape(pg_url)
    finally:
        lite.close()
        pg.close()
    assert sorted(on_sqlite) == sorted(on_pg)
    for name in on_sqlite:
        assert on_sqlite[name] == on_pg[name], name
    # Every table the portal uses is there (an empty shape would agree with itself).
    assert {"devices", "ingest", "dossiers", "changes", "ratings", "witness_alarms"} <= set(on_pg)
    assert on_pg["ingest"].primary_key == ("device_id", "seq")
    assert ("code",) in on_pg["dossiers"].unique
    narrow = {col: typ for col, typ in widths.items() if typ != "bigint"}
    assert set(narrow) == set(NARROW_INTEGERS), (
        "a PostgreSQL integer column is narrower than SQLite's; make it $BIGINT or say here "
        f"what bounds it: {sorted(set(narrow) - set(NARROW_INTEGERS))}"
    )


def test_the_parity_check_sees_a_difference(tmp_path: Path) -> None:
    """The comparison is not blind: a column's nullability, a missing index or a column
    type differing between two SQLite files each shows up."""
    a = _sqlite_at(tmp_path / "a.db", SCHEMA_VERSION)
    b = _sqlite_at(tmp_path / "b.db", SCHEMA_VERSION)
    assert sqlite_shape(a) == sqlite_shape(b)
    b.execute("DROP INDEX dossiers_device")
    assert sqlite_shape(a)["dossiers"] != sqlite_shape(b)["dossiers"]
    b.execute("ALTER TABLE tickets ADD COLUMN extra TEXT")
    assert sqlite_shape(a)["tickets"] != sqlite_shape(b)["tickets"]


def test_each_dialect_word_is_known_to_both_databases() -> None:
    """A migration spelt with a word one database lacks fails to build (no silent `$X`)."""
    assert set(DIALECT_WORDS["sqlite"]) == set(DIALECT_WORDS["postgresql"])
    for migration in MIGRATIONS:
        for dialect in DIALECT_WORDS:
            for statement in migration.statements(dialect):
                assert "$" not in statement


def test_migrations_are_numbered_one_to_n_on_both_databases(
    tmp_path: Path, pg_url: str, pg_conn: Any
) -> None:
    """Each migration moves the version by exactly one, 1..N without a gap or a repeat, on
    both databases, and each changes the schema of one of them at least (no empty or copied
    step)."""
    from portal.storage.pg import migrate_postgres, schema_version

    assert SCHEMA_VERSION == len(MIGRATIONS) >= 6
    texts = [(m.sql, m.data) for m in MIGRATIONS]
    assert len(set(texts)) == len(texts), "two migrations are the same"
    path = tmp_path / "steps.db"
    shapes = [(sqlite_shape(_sqlite_at(path, 0)), pg_shape(pg_url))]
    for version in range(1, SCHEMA_VERSION + 1):
        conn = _sqlite_at(path, version)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == version
        migrate_postgres(pg_conn, version)
        assert schema_version(pg_conn) == version
        shapes.append((sqlite_shape(conn), pg_shape(pg_url)))
        conn.close()
    rows = pg_conn.execute("SELECT version FROM portal_schema ORDER BY version").fetchall()
    assert [r["version"] for r in rows] == list(range(1, SCHEMA_VERSION + 1))
    changed = [shapes[i] != shapes[i + 1] for i in range(SCHEMA_VERSION)]
    assert changed == [True] * SCHEMA_VERSION
    # Step by step ends where a fresh portal starts.
    fresh = SQLiteStorage(tmp_path / "fresh.db")
    try:
        assert shapes[-1][0] == sqlite_shape(fresh.conn)
    finally:
        fresh.close()


def _legacy_rows(c: Any) -> None:
    """What a portal at schema 1 holds: a device without a short id, two back-office ratings
    of one dossier (allowed before ratings became one per dossier)."""
    c.execute(
        "INSERT INTO devices(device_id, agency_code, counter_no, token_hash, device_secret, "
        "enrolled_at) VALUES ('dev-1-abcdefgh', 'A', 1, 'h', 's', '2026-01-01')"
    )
    for _ in range(2):
        c.execute(
            "INSERT INTO ratings(dossier_uuid, score, rated_at) VALUES ('u1', 5, '2026-01-01')"
        )


def test_a_portal_upgraded_from_schema_1_keeps_its_rows_on_both(
    tmp_path: Path, pg_url: str, pg_conn: Any
) -> None:
    """Migration 2's data step (short ids, old ratings marked legacy) runs on both
    databases: PostgreSQL once had its own copy of migration 2 without it, and the unique
    index of one rating per dossier failed on a portal that held two."""
    from counter.lookup import device_short_id
    from portal.storage.pg import PostgresStorage, migrate_postgres

    conn = _sqlite_at(tmp_path / "old.db", 1)
    _legacy_rows(conn)
    conn.close()
    migrate_postgres(pg_conn, 1)
    _legacy_rows(pg_conn)

    lite = SQLiteStorage(tmp_path / "old.db")
    pg = PostgresStorage(pg_url, max_size=1)
    try:
        for storage in (lite, pg):
            assert storage.version == SCHEMA_VERSION
            assert storage.query("SELECT short_id FROM devices") == [
                (device_short_id("dev-1-abcdefgh"),)
            ]
            assert storage.query("SELECT legacy FROM ratings") == [(1,), (1,)]
            assert storage.epoch()
        assert sqlite_shape(lite.conn) == pg_shape(pg_url)[0]
    finally:
        lite.close()
        pg.close()
