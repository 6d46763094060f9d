"""The counter store's migrations are a line: numbered 1..N without a gap or a repeat, and a
store migrated one version per run (with rows in it) ends with the same schema as a new one.

Migrations are numbered by hand (`_v1`…`_vN` in counter/store.py); two engineers adding one
each at the same time would both write the next number, and one store would skip a step.
"""

from __future__ import annotations

from pathlib import Path

from counter.store import MIGRATIONS, SCHEMA_VERSION, Store
from tests.schema_shape import sqlite_shape

DOSSIER_V1 = (
    "INSERT INTO dossiers(uuid, code, procedure_code, procedure_name, field, "
    "applicant_name, duration, duration_unit, status, status_code, received_at, due_at, "
    "officer_id, counter_no, device_id, updated_at, search_text) VALUES ('u1', "
    "'000.00.12.H26-261126-030001', '1.001193', 'Đăng ký khai sinh', 'Hộ tịch', "
    "'Nguyễn Văn Đức', 0, 'working_days', 'received', 2, '2026-11-26T09:00:00+07:00', "
    "'2026-11-26T17:00:00+07:00', 1, 3, 'd', '2026-11-26T09:00:00+07:00', "
    "'nguyen van duc 000.00.12.h26-261126-030001')"
)


def test_migrations_are_numbered_one_to_n() -> None:
    """Index i holds `_v{i+1}`, each migration once, each with a docstring saying why."""
    names = [m.__name__ for m in MIGRATIONS]
    assert names == [f"_v{n}" for n in range(1, len(MIGRATIONS) + 1)]
    assert len(set(MIGRATIONS)) == len(MIGRATIONS) == SCHEMA_VERSION
    assert all((m.__doc__ or "").strip() for m in MIGRATIONS)


def test_each_migration_moves_the_version_by_one_and_changes_the_schema(tmp_path: Path) -> None:
    store = Store(tmp_path / "steps.db", migrate=False)
    shapes = [sqlite_shape(store.conn)]
    for version in range(1, SCHEMA_VERSION + 1):
        store.migrate(target=version)
        assert store.version == version
        shapes.append(sqlite_shape(store.conn))
    store.close()
    assert [shapes[i] != shapes[i + 1] for i in range(SCHEMA_VERSION)] == [True] * SCHEMA_VERSION


def test_a_store_migrated_step_by_step_equals_a_new_one(tmp_path: Path) -> None:
    """One version per run of the app, with an officer, a setting and a dossier written at
    version 1: the same tables, columns, keys, indexes and triggers as a store made today,
    and the rows are still there."""
    path = tmp_path / "old.db"
    for version in range(1, SCHEMA_VERSION + 1):
        old = Store(path, migrate=False)
        old.migrate(target=version)
        if version == 1:
            old.conn.execute(
                "INSERT INTO officers(username, full_name, role, secret_hash, created_at) "
                "VALUES ('a', 'A', 'officer', 'h', 'x')"
            )
            old.conn.execute("INSERT INTO settings(key, value) VALUES ('device_id', 'kept')")
            old.conn.execute(DOSSIER_V1)
        old.close()
    upgraded = Store(path)
    fresh = Store(tmp_path / "new.db")
    try:
        assert upgraded.version == fresh.version == SCHEMA_VERSION
        old_shape, new_shape = sqlite_shape(upgraded.conn), sqlite_shape(fresh.conn)
        assert sorted(old_shape) == sorted(new_shape)
        for table in new_shape:
            assert old_shape[table] == new_shape[table], table
        assert {"dossiers", "outbox", "print_jobs", "intake_drafts"} <= set(new_shape)
        assert upgraded.get_setting("device_id") == "kept"
        assert upgraded.conn.execute("SELECT code FROM dossiers").fetchall() == [
            ("000.00.12.H26-261126-030001",)
        ]
    finally:
        upgraded.close()
        fresh.close()
