"""Store: pragmas, migrations from empty and from every earlier version, append-only tables."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from counter.store import MIGRATIONS, SCHEMA_VERSION, Store


def test_new_store_is_wal_full_sync_and_current(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert store.version == SCHEMA_VERSION
    assert {"dossiers", "dossier_events", "audit", "outbox", "officers"} <= set(
        store.db.table_names()
    )


@pytest.mark.parametrize("start", range(SCHEMA_VERSION))
def test_migrates_from_each_earlier_version(tmp_path: Path, start: int) -> None:
    """A store left at any older version upgrades in place and keeps its rows."""
    path = tmp_path / "old.db"
    old = Store(path, migrate=False)
    old.migrate(target=start)
    if start >= 1:
        old.conn.execute("INSERT INTO settings(key, value) VALUES ('device_id', 'kept')")
    old.close()
    store = Store(path)
    assert store.version == SCHEMA_VERSION == len(MIGRATIONS)
    if start >= 1:
        assert store.get_setting("device_id") == "kept"
    # The search index exists and is fed by the triggers after any upgrade path.
    assert store.conn.execute("SELECT count(*) FROM dossier_search").fetchone()[0] == 0


def test_migration_backfills_search_index(tmp_path: Path, config, clock) -> None:
    """A dossier written by a version-1 app is searchable after upgrading."""
    from counter.desk import Desk

    path = config.db_path
    old = Store(path, migrate=False)
    old.migrate(target=1)
    old.conn.execute(
        "INSERT INTO officers(username, full_name, role, secret_hash, created_at) "
        "VALUES ('a', 'A', 'officer', 'h', 'x')"
    )
    old.conn.execute(
        "INSERT INTO dossiers(uuid, code, procedure_code, procedure_name, field, "
        "applicant_name, duration, duration_unit, status, status_code, received_at, due_at, "
        "officer_id, counter_no, device_id, updated_at, search_text) VALUES ('u1', "
        "'000.00.12.H26-261126-030001', '1.001193', 'Đăng ký khai sinh', 'Hộ tịch', "
        "'Nguyễn Văn Đức', 0, 'working_days', 'received', 2, '2026-11-26T09:00:00+07:00', "
        "'2026-11-26T17:00:00+07:00', 1, 3, 'd', '2026-11-26T09:00:00+07:00', "
        "'nguyen van duc 000.00.12.h26-261126-030001')"
    )
    old.close()
    desk = Desk.open(config, clock=clock)
    assert [d.uuid for d in desk.search("duc").dossiers] == ["u1"]
    desk.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        Store(path)


def test_write_rolls_back_everything_on_error(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    with pytest.raises(ZeroDivisionError), store.write() as db:
        db.conn.execute("INSERT INTO settings(key, value) VALUES ('a', '1')")
        _ = 1 / 0
    assert store.get_setting("a") is None


def test_a_nested_write_is_undone_alone_at_every_depth(tmp_path: Path) -> None:
    """Writes nested in a transaction (the hub runs each request of a group commit so) are
    savepoints of one fixed name: a failure undoes its own level and everything inside it,
    never the levels around it, however deep, and the outer write still commits."""
    store = Store(tmp_path / "c.db")

    def put(key: str) -> None:
        store.conn.execute("INSERT INTO settings(key, value) VALUES (?, '1')", (key,))

    with store.write():
        put("outer")
        with store.write():
            put("kept")
            with pytest.raises(ZeroDivisionError), store.write():
                put("undone")
                with store.write():
                    put("undone-inner")  # released into "undone", so undone with it
                _ = 1 / 0
            with store.write():
                put("kept-after")
        with pytest.raises(ZeroDivisionError), store.write():
            put("undone-second")
            _ = 1 / 0
        put("outer-after")
    assert not store.conn.in_transaction
    got = {k for (k,) in store.conn.execute("SELECT key FROM settings WHERE value = '1'")}
    assert got == {"outer", "kept", "kept-after", "outer-after"}


def test_a_nested_write_whose_statement_ended_the_transaction_reraises(tmp_path: Path) -> None:
    """A trigger's RAISE(ROLLBACK) ends the whole transaction, savepoints included: the nested
    write has nothing left to undo and must raise the original error, not "no such
    savepoint"."""
    store = Store(tmp_path / "c.db")
    store.conn.execute(
        "CREATE TEMP TRIGGER refuse BEFORE INSERT ON settings WHEN NEW.key = 'x' "
        "BEGIN SELECT RAISE(ROLLBACK, 'refused'); END"
    )
    store.conn.execute("BEGIN IMMEDIATE")
    store.conn.execute("INSERT INTO settings(key, value) VALUES ('before', '1')")
    with pytest.raises(sqlite3.IntegrityError, match="refused"), store.write():
        store.conn.execute("INSERT INTO settings(key, value) VALUES ('x', '1')")
    assert not store.conn.in_transaction
    assert store.get_setting("before") is None


@pytest.mark.parametrize("table", ["dossier_events", "audit"])
def test_history_tables_are_append_only(tmp_path: Path, table: str) -> None:
    store = Store(tmp_path / "c.db")
    if table == "audit":
        store.conn.execute(
            "INSERT INTO audit(at, action, prev_hash, hash) VALUES ('x', 'y', 'p', 'h')"
        )
    else:
        store.conn.execute(
            "INSERT INTO officers(username, full_name, role, secret_hash, created_at) "
            "VALUES ('a', 'A', 'officer', 'h', 'x')"
        )
        store.conn.execute(
            "INSERT INTO dossiers(uuid, code, procedure_code, procedure_name, field, "
            "applicant_name, duration, duration_unit, status, status_code, received_at, due_at, "
            "officer_id, counter_no, device_id, updated_at) VALUES ('u', 'c', 'p', 'n', 'f', "
            "'a', 1, 'working_days', 'received', 2, 'x', 'y', 1, 1, 'd', 'x')"
        )
        store.conn.execute(
            "INSERT INTO dossier_events(dossier_uuid, at, action, to_status) "
            "VALUES ('u', 'x', 'receive', 'received')"
        )
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute(f"UPDATE {table} SET at = 'changed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute(f"DELETE FROM {table}")
