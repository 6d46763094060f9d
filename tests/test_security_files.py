"""Issue 19, finding 4: the store and its WAL, the credentials, exports, the portal's and the
hub's databases are owner-only; credentials leave the plain settings table; demo is off."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from counter.config import parse_config
from counter.desk import Desk
from counter.private import is_private
from counter.store import Store
from portal.storage import SQLiteStorage
from tests.support.clock import FrozenClock
from tests.support.config import make_config


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _sqlite_family(db: Path) -> list[Path]:
    return [p for p in db.parent.iterdir() if p.name.startswith(db.stem)]


def test_the_store_and_every_companion_file_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a default desktop umask: files would be 0644
    try:
        desk = Desk.open(make_config(tmp_path), clock=FrozenClock())
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        files = _sqlite_family(desk.store.path)
        names = {p.name for p in files}
        assert {"counter.db", "counter.db-wal", "counter.db-shm", "counter-secrets.db"} <= names
        for path in files:
            assert _mode(path) == 0o600, (path.name, oct(_mode(path)))
        assert _mode(desk.store.path.parent) == 0o700
        desk.close()
    finally:
        os.umask(old)


def test_an_existing_world_readable_store_is_tightened(tmp_path: Path) -> None:
    db = tmp_path / "data" / "counter.db"
    Store(db).close()
    for path in _sqlite_family(db):
        path.chmod(0o644)
    db.parent.chmod(0o755)
    Store(db).close()
    assert all(is_private(p) for p in _sqlite_family(db)) and is_private(db.parent)


def test_a_database_in_a_shared_folder_never_narrows_the_folder(tmp_path: Path) -> None:
    """The class: any database (store, portal, hub) put straight into a shared folder such as
    /tmp. Its own files are owner-only; the folder keeps its mode for everyone else."""
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)  # what /tmp is
    Store(shared / "counter.db").close()
    SQLiteStorage(shared / "portal.db").close()
    assert _mode(shared) == 0o1777
    assert all(is_private(p) for p in shared.iterdir())
    # A folder of the counter's own is still narrowed.
    own = tmp_path / "own"
    own.mkdir(mode=0o755)
    Store(own / "counter.db").close()
    assert _mode(own) == 0o700


def test_credentials_move_out_of_an_old_settings_table(tmp_path: Path) -> None:
    db = tmp_path / "data" / "counter.db"
    Store(db).close()
    conn = sqlite3.connect(db)  # as an older version left it
    with conn:
        conn.execute("INSERT INTO settings VALUES ('sync.token', 'T0KEN'), ('device_secret', 'ab')")
    conn.close()
    store = Store(db)
    assert store.get_setting("sync.token") == "T0KEN" and store.get_setting("device_secret") == "ab"
    keys = {k for (k,) in store.conn.execute("SELECT key FROM settings")}
    assert not keys & {"sync.token", "device_secret"}
    store.close()


def test_portal_and_hub_databases_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        portal = SQLiteStorage(tmp_path / "portal" / "portal.db")
        portal.create_enrollment_code("000.00.12.H26", 3)
        for path in _sqlite_family(portal.path):
            assert _mode(path) == 0o600, path.name
        portal.close()
        from counter.queue import QueueSettings
        from portal.hub.app import Hub

        hub = Hub(tmp_path / "hub" / "hub.db", QueueSettings(), clock=FrozenClock())
        hub.engine.issue("A")
        files = _sqlite_family(tmp_path / "hub" / "hub.db")
        assert files and all(_mode(p) == 0o600 for p in files)
        hub.store.close()
        hub._reader.close()
    finally:
        os.umask(old)


def test_demo_data_is_off_unless_the_example_config_turns_it_on() -> None:
    """Finding 5: a config without `demo_data` got giamsat / 5678 and fake dossiers."""
    assert parse_config({}).counter.demo_data is False
    example = Path(__file__).resolve().parents[1] / "config.toml"
    import tomllib

    assert tomllib.loads(example.read_text(encoding="utf-8"))["counter"]["demo_data"] is True


def test_doctor_names_loose_files_a_readable_secret_config_and_a_spent_code(
    tmp_path: Path,
) -> None:
    from counter.config import load_config
    from counter.sync import K_USED_CODE, code_hash
    from counter_cli.doctor import run_doctor

    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\ndemo_data = false\n'
        '[portal]\nurl = "http://127.0.0.1:9"\nenrollment_code = "K7QM-3XWD-P9TA"\n',
        encoding="utf-8",
    )
    cfg.chmod(0o644)
    config = load_config(cfg)
    store = Store(config.db_path)
    store.set_setting(K_USED_CODE, code_hash("k7qm3xwdp9ta", config.portal.url))
    store.close()
    config.db_path.chmod(0o644)
    ok, checks = run_doctor(config)
    lines = "\n".join(c.line() for c in checks)
    assert not ok
    assert "counter.db" in lines and "chmod 700/600" in lines
    assert "config.toml có mã bí mật" in lines
    assert "Mã đăng ký: đã dùng" in lines
