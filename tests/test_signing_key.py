"""The device's private signing key lives in its own owner-only file, never in the store.

Checked on the bytes: a key migrated out of an older store's settings leaves no trace in the
database file, its WAL or a copy of it; a fresh key is created with mode 0600 from the start.
"""

from __future__ import annotations

import shutil
import stat
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from counter import exports, signing
from counter.desk import Desk
from counter.store import Store

DAY = date(2026, 11, 26)


def _all_bytes(db: Path) -> bytes:
    data = b""
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            data += path.read_bytes()
    return data


def test_a_new_key_is_an_owner_only_file_beside_the_store(desk: Desk, tmp_path: Path) -> None:
    desk.login("giamsat", "5678")
    result = exports.export(desk, exports.ExportRequest(DAY, DAY, tmp_path / "out"))
    path = signing.key_path(desk.store)
    assert path.parent == desk.store.path.parent and path.is_file()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert desk.store.get_setting(signing.KEY_SETTING) is None
    raw = signing.device_key(desk.store).private_bytes_raw()
    assert raw not in _all_bytes(desk.store.path) and raw.hex().encode() not in _all_bytes(
        desk.store.path
    )
    manifest = signing.read_manifest(result.manifest)
    assert manifest["public_key"] == signing.stored_public_key(desk.store)


def test_a_key_kept_in_an_old_store_is_moved_out_and_erased(tmp_path: Path) -> None:
    db = tmp_path / "data" / "counter.db"
    store = Store(db)
    old = Ed25519PrivateKey.generate()
    store.set_setting(signing.KEY_SETTING, old.private_bytes_raw().hex())
    store.set_setting("padding", "x" * 5000)  # other settings on the same page stay
    assert old.private_bytes_raw().hex().encode() in _all_bytes(db)

    key = signing.device_key(store)
    assert key.private_bytes_raw() == old.private_bytes_raw()  # the same key: old exports hold
    assert store.get_setting(signing.KEY_SETTING) is None
    assert store.get_setting("padding") == "x" * 5000
    store.close()
    secret = old.private_bytes_raw().hex().encode()
    assert secret not in _all_bytes(db), "the private key lingers in the database's bytes"
    backup = tmp_path / "backup.db"
    shutil.copy(db, backup)
    assert secret not in backup.read_bytes()
    assert stat.S_IMODE(signing.key_path(Store(db)).stat().st_mode) == 0o600


def test_loose_permissions_are_tightened_and_a_corrupt_key_is_a_clear_error(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "counter.db")
    signing.device_key(store)
    path = signing.key_path(store)
    path.chmod(0o644)
    signing.device_key(store)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_bytes(b"not a key")
    with pytest.raises(signing.SigningKeyError, match="hỏng"):
        signing.device_key(store)


def test_opening_the_app_on_an_old_store_moves_the_key_out(tmp_path: Path) -> None:
    from counter.config import parse_config

    config = parse_config({"counter": {"data_dir": str(tmp_path / "data"), "demo_data": False}})
    store = Store(config.db_path)
    old = Ed25519PrivateKey.generate()
    store.set_setting(signing.KEY_SETTING, old.private_bytes_raw().hex())
    store.close()
    desk = Desk.open(config)
    try:
        assert desk.store.get_setting(signing.KEY_SETTING) is None
        assert signing.key_file_public(signing.key_path(desk.store)) == signing.public_key_hex(old)
    finally:
        desk.close()
    assert old.private_bytes_raw().hex().encode() not in _all_bytes(config.db_path)


def test_racing_first_uses_agree_on_one_key(tmp_path: Path) -> None:
    """Threads (worker connections) and processes (portal workers) creating the key at once:
    none reads a half-written file, all end with the same key."""
    import concurrent.futures
    import multiprocessing

    from portal.witness import load_witness_key

    db = tmp_path / "counter.db"
    Store(db).close()

    def first_use(_: int) -> str:
        store = Store(db)
        try:
            return signing.public_key_hex(signing.device_key(store))
        finally:
            store.close()

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(first_use, range(16)))
    assert len(keys) == 1
    portal_key = tmp_path / "portal" / "witness-key.pem"
    with concurrent.futures.ProcessPoolExecutor(
        4, mp_context=multiprocessing.get_context("spawn")
    ) as procs:
        found = set(procs.map(_portal_key_public, [portal_key] * 8))
    assert len(found) == 1 and found == {signing.public_key_hex(load_witness_key(portal_key))}
    assert not [p for p in portal_key.parent.iterdir() if p.name.startswith(".")]


def _portal_key_public(path: Path) -> str:
    from portal.witness import load_witness_key

    return signing.public_key_hex(load_witness_key(path))


def test_the_app_starts_without_loading_cryptography() -> None:
    """Signing is rare; its library costs the counter's cold start (and the crash drill's
    short windows): the app and the desk import it only when a key is used."""
    import subprocess
    import sys

    code = (
        "import sys, screens.app, counter.desk, counter.sync; "
        "print(sorted(m for m in sys.modules if m.startswith('cryptography'))[:1])"
    )
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
