"""Backups and restores of the counter's store (issue #13); the drills with a portal are in
tests/test_sync_drills.py."""

from __future__ import annotations

import sqlite3
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from counter import sync
from counter.backup import (
    BackupError,
    backups,
    daily_backup,
    make_backup,
    restore_store,
)
from counter.config import Config
from counter.desk import Desk
from counter.store import Store
from counter_cli import main as cli
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock
from tests.support.config import make_config


def _desk(config: Config, clock: FrozenClock) -> Desk:
    d = Desk.open(config, clock=clock)
    if not d.has_officers():
        d.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    d.login("canbo", "1234")
    return d


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM dossiers").fetchone()[0])
    finally:
        conn.close()


def test_a_backup_is_consistent_while_the_counter_writes(
    config: Config, clock: FrozenClock
) -> None:
    """The online backup API copies one snapshot: taken while another connection receives
    dossiers, the copy is sound and holds whole dossiers only (row, event, outbox entry)."""
    desk = _desk(config, clock)
    for _ in range(5):
        desk.receive(draft_for(desk, "1.004194"))
    stop = threading.Event()

    def keep_writing() -> None:
        writer = _desk(config, clock)
        while not stop.is_set():
            writer.receive(draft_for(writer, "1.004194"))
        writer.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        copies = [make_backup(config, clock) for _ in range(3)]
        clock.now += timedelta(seconds=1)
    finally:
        stop.set()
        thread.join()
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        dossiers = conn.execute("SELECT count(*) FROM dossiers").fetchone()[0]
        receipts = conn.execute(
            "SELECT count(*) FROM dossier_events WHERE action = 'receive'"
        ).fetchone()[0]
        entries = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        assert dossiers == receipts == entries >= 5
        conn.close()
    desk.close()


def test_daily_backup_makes_one_a_day_and_keeps_n(tmp_path: Path, clock: FrozenClock) -> None:
    config = make_config(tmp_path, backup={"keep": 3, "folder": str(tmp_path / "bak")})
    desk = _desk(config, clock)
    desk.receive(draft_for(desk, "1.004194"))
    made = []
    for _day in range(5):
        made.append(daily_backup(config, clock))
        assert daily_backup(config, clock) is None  # once a day
        clock.now += timedelta(days=1)
    assert all(m is not None for m in made)
    kept = backups(tmp_path / "bak")
    assert [p.name for p in kept] == [m.name for m in made[-3:] if m is not None]
    desk.close()


def test_backup_and_restore_commands(
    config: Config, clock: FrozenClock, capsys: pytest.CaptureFixture[str]
) -> None:
    """`counter backup` then `counter restore FILE` (no portal: offline rebase): the
    replaced store is kept, and the restored one numbers past anything the lost hours used."""
    desk = _desk(config, clock)
    desk.receive(draft_for(desk, "1.004194"))
    desk.close()
    toml = config.source
    assert toml is not None
    toml.write_text(
        f'[counter]\ndata_dir = "{config.data_dir}"\nnumber = 3\ndemo_data = false\n',
        encoding="utf-8",
    )
    cli(["--config", str(toml), "backup"])
    out = capsys.readouterr().out
    assert "Đã sao lưu" in out
    (backup,) = backups(config.data_dir / "backups")

    desk = _desk(config, clock)
    lost = desk.receive(draft_for(desk, "1.004194"))
    desk.close()
    cli(["--config", str(toml), "restore", str(backup)])
    out = capsys.readouterr().out
    assert "Đã khôi phục" in out and "Kho dữ liệu cũ được giữ lại" in out
    kept = next((config.data_dir / "backups").glob("before-restore-*.db"))
    assert _count(kept) == 2 and _count(config.db_path) == 1  # nothing saved is lost

    desk = _desk(config, clock)
    again = desk.receive(draft_for(desk, "1.004194"))
    assert again.code != lost.code
    store = desk.store
    (max_seq,) = store.conn.execute("SELECT max(seq) FROM outbox").fetchone()
    assert max_seq > 1_000_000  # jumped past what the lost hours could have used
    desk.close()


def test_restore_refuses_what_is_not_this_counters_backup(
    tmp_path: Path, config: Config, clock: FrozenClock
) -> None:
    desk = _desk(config, clock)
    desk.receive(draft_for(desk, "1.004194"))
    desk.close()
    before = config.db_path.read_bytes()

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    other_config = make_config(tmp_path / "other")
    other = _desk(other_config, clock)
    other.close()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    for bad, words in [
        (junk, "không phải tệp sao lưu"),
        (empty, "không phải tệp sao lưu"),
        (other_config.db_path, "thiết bị khác"),
        (tmp_path / "missing.db", "Không thấy tệp"),
    ]:
        with pytest.raises(BackupError) as info:
            restore_store(config, bad, clock=clock)
        assert words in info.value.message("vi")
    assert config.db_path.read_bytes() == before  # nothing changed
    assert not (config.data_dir / "backups").exists()


def test_reenroll_alert_when_the_credential_is_gone(config: Config) -> None:
    store = Store(config.db_path)
    store.set_setting(sync.K_ERROR_CODE, "unauthenticated")
    alert = sync.sync_alert(True, False, "unauthenticated", None, False)
    assert alert is not None and alert.code == "reenroll" and "đăng ký lại" in alert.vi
    assert sync.sync_alert(False, False, "device_revoked", 600, True) is None  # not configured
    store.close()


def test_the_daily_backup_thread_backs_up_and_logs_its_failures(
    tmp_path: Path, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    import logging
    import time

    from counter.backup import DailyBackup

    config = make_config(tmp_path, backup={"folder": str(tmp_path / "bak")})
    _desk(config, clock).close()
    worker = DailyBackup(config, clock=clock, interval=0.05).start()
    deadline = time.monotonic() + 10
    while not backups(tmp_path / "bak") and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    assert len(backups(tmp_path / "bak")) == 1

    caplog.set_level(logging.ERROR)
    (tmp_path / "blocked").write_text("a file where the folder should be", encoding="utf-8")
    broken = make_config(tmp_path, backup={"folder": str(tmp_path / "blocked" / "bak")})
    worker = DailyBackup(broken, clock=clock, interval=0.05).start()
    deadline = time.monotonic() + 10

    def failures() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.levelno >= logging.ERROR]

    while not failures() and time.monotonic() < deadline:
        time.sleep(0.05)
    worker.stop()
    (record,) = failures()[:1]
    assert record.getMessage() == "daily backup failed" and record.exc_info is not None
