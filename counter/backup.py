"""Backups of the counter's store, and restoring one (issue #13).

`backup_store` copies the store with SQLite's online backup API: consistent even while the
app writes (the copy is one snapshot), checked (`PRAGMA integrity_check`) before it is kept,
and written under a temporary name first, so a half-written file never looks like a backup.
`DailyBackup` makes one a day into `[backup] folder` and keeps the newest `[backup] keep`.

`restore_store` puts a backup back: it checks the file first, keeps a copy of the store it
replaces (nothing the user saved is ever lost), and then **rebases** the restored store: the
portal has seen entries, timeline events and dossier codes that the backup does not hold
(everything since the backup was taken), so the restored store must number past them. With
the portal reachable it asks (`GET /device`: last_seq, max_event_id, code_sequences);
without, it moves every counter far past anything a day could use, and sync finishes the job
on its first contact (docs/sync-protocol.md, "Rebasing").
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from counter.config import Config
from counter.errors import CounterError
from counter.store import SCHEMA_VERSION, Store
from counter.timeutil import Clock, system_clock, to_vn

log = logging.getLogger("counter.backup")

PREFIX = "counter-"
# Offline restore: how far the numbers jump (a day of a busy counter is far below these).
OFFLINE_SEQ_MARGIN = 1_000_000
OFFLINE_CODE_MARGIN = 1_000


class BackupError(CounterError):
    """A backup that could not be made, or a file that cannot be restored."""


def backup_folder(config: Config) -> Path:
    return config.backup.folder or (config.data_dir / "backups")


def backup_store(db_path: Path, dest: Path) -> Path:
    """Copy the store at `db_path` to `dest` (a file), consistently while it is in use."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        target = sqlite3.connect(tmp)
        try:
            source.backup(target, pages=1024)
            result = target.execute("PRAGMA integrity_check").fetchone()[0]
            target.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            target.close()
    finally:
        source.close()
    if result != "ok":
        tmp.unlink(missing_ok=True)
        raise BackupError(
            f"Bản sao lưu bị lỗi ({result}); kho dữ liệu gốc không thay đổi",
            f"The backup copy is damaged ({result}); the store is unchanged",
        )
    tmp.replace(dest)
    return dest


def backup_name(moment: datetime) -> str:
    return f"{PREFIX}{to_vn(moment):%Y%m%d-%H%M%S}.db"


def backups(folder: Path) -> list[Path]:
    """The backups in `folder`, oldest first (their names sort by time)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{PREFIX}*.db") if p.is_file())


def make_backup(config: Config, clock: Clock = system_clock) -> Path:
    """`counter backup`: one backup now into the backup folder; its path."""
    if not config.db_path.exists():
        raise BackupError(
            f"Chưa có kho dữ liệu {config.db_path}", f"There is no store at {config.db_path}"
        )
    path = backup_store(config.db_path, backup_folder(config) / backup_name(clock()))
    log.info("backup made: %s", path.name)
    return path


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` backups; the deleted ones."""
    found = backups(folder)
    gone = found[: max(0, len(found) - keep)]
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


def daily_backup(config: Config, clock: Clock = system_clock) -> Path | None:
    """Make today's backup if there is none yet, and prune; the new backup or None."""
    folder = backup_folder(config)
    today = f"{PREFIX}{to_vn(clock()):%Y%m%d}-"
    if any(p.name.startswith(today) for p in backups(folder)):
        return None
    path = make_backup(config, clock)
    prune(folder, config.backup.keep)
    return path


class DailyBackup:
    """A daemon thread that runs `daily_backup` now and then (every 10 minutes by default)."""

    def __init__(self, config: Config, *, clock: Clock = system_clock, interval: float = 600.0):
        self.config = config
        self.clock = clock
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> DailyBackup:
        if self.config.backup.daily and self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="counter-backup", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                daily_backup(self.config, self.clock)
            except Exception:  # a full disk must not stop the counter; say so in the log
                log.exception("daily backup failed")
            self._stop.wait(self.interval)


# -- restore -----------------------------------------------------------------------------------


@dataclass
class RestoreReport:
    restored: Path
    kept: Path | None  # the copy of the store that was replaced
    rebased_online: bool
    detail: str

    def text(self) -> str:
        lines = [f"Đã khôi phục kho dữ liệu từ {self.restored}."]
        if self.kept is not None:
            lines.append(f"Kho dữ liệu cũ được giữ lại tại {self.kept}.")
        lines.append(self.detail)
        return "\n".join(lines)


def check_backup(path: Path, device_id: str | None) -> None:
    """Raise BackupError unless `path` is a sound counter store of this device (if known)."""
    if not path.is_file():
        raise BackupError(f"Không thấy tệp {path}", f"No file {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            row = (
                conn.execute("SELECT value FROM settings WHERE key = 'device_id'").fetchone()
                if "settings" in tables
                else None
            )
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            f"{path} không phải tệp sao lưu của quầy ({exc})",
            f"{path} is not a counter backup ({exc})",
        ) from None
    if integrity != "ok":
        raise BackupError(
            f"Tệp sao lưu bị hỏng: {integrity}", f"The backup is damaged: {integrity}"
        )
    if not {"dossiers", "outbox", "settings"} <= tables:
        raise BackupError(
            f"{path} không phải tệp sao lưu của quầy", f"{path} is not a counter backup"
        )
    if version > SCHEMA_VERSION:
        raise BackupError(
            f"Tệp sao lưu mới hơn phần mềm này (phiên bản {version} > {SCHEMA_VERSION})",
            f"The backup is newer than this software (schema {version} > {SCHEMA_VERSION})",
        )
    backed_up = row[0] if row else None
    if device_id and backed_up and backed_up != device_id:
        raise BackupError(
            f"Tệp sao lưu là của thiết bị khác ({backed_up}), không phải quầy này ({device_id})",
            f"The backup belongs to another device ({backed_up}), not this one ({device_id})",
        )


def restore_store(
    config: Config,
    source: Path,
    *,
    clock: Clock = system_clock,
    client: object | None = None,
) -> RestoreReport:
    """`counter restore FILE`: replace the store with the backup `source`, then rebase.

    Close the counter app first: the store is replaced underneath any open connection."""
    from counter import sync  # sync imports httpx; keep `counter backup` light

    current: str | None = None
    if config.db_path.exists():
        store = Store(config.db_path)
        try:
            current = store.get_setting("device_id")
        finally:
            store.close()
    check_backup(source, current)
    kept = None
    if config.db_path.exists():
        stamp = f"{to_vn(clock()):%Y%m%d-%H%M%S}"
        kept = backup_store(config.db_path, backup_folder(config) / f"before-restore-{stamp}.db")
    config.db_path.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(config.db_path, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    store = Store(config.db_path)  # migrates an older backup to this schema
    try:
        with store.write():
            # Whatever the backup believed about the portal is older than the portal now.
            for key in (sync.K_CHAIN, sync.K_LAST_ERROR, sync.K_ERROR_CODE):
                store.delete_setting(key)
        rebased, detail = _rebase_after_restore(store, config, clock, client)
    finally:
        store.close()
    log.info("store restored from %s (rebased %s)", source.name, "online" if rebased else "offline")
    return RestoreReport(source, kept, rebased, detail)


def _rebase_after_restore(
    store: Store, config: Config, clock: Clock, client: object | None
) -> tuple[bool, str]:
    import httpx

    from counter import sync

    if config.portal.url and store.get_setting(sync.K_TOKEN):
        own = client is None
        http = client if isinstance(client, httpx.Client) else sync.make_client(config)
        try:
            known = sync.rebase_from_portal(store, config, http)
            return True, (
                f"Đã đánh số tiếp theo những gì cổng đã có của quầy này (bản ghi "
                f"{known.get('last_seq')}); lần đồng bộ tới sẽ gửi lại những gì cổng còn thiếu."
            )
        except (httpx.HTTPError, sync.SyncError, ValueError) as exc:
            log.warning("rebase after restore: the portal did not answer (%s)", exc)
        finally:
            if own:
                http.close()
    with store.write():
        _offline_rebase(store, config, clock)
    return False, (
        "Không liên lạc được cổng: số thứ tự và mã hồ sơ hôm nay đã được đẩy lên xa để không "
        "trùng; lần đồng bộ tới sẽ khớp lại với cổng."
    )


def _offline_rebase(store: Store, config: Config, clock: Clock) -> None:
    """Without the portal: jump every counter far past what the lost hours could have used
    (gaps are harmless: the protocol chains entries, it does not need dense numbers)."""
    from counter import sync
    from counter.codes import continue_after

    top = store.conn.execute(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), "
        "coalesce((SELECT max(seq) FROM outbox), 0))"
    ).fetchone()[0]
    sync._raise_sequence(store, "outbox", int(top) + OFFLINE_SEQ_MARGIN)
    events = store.conn.execute("SELECT coalesce(max(id), 0) FROM dossier_events").fetchone()[0]
    sync.raise_event_floor(store, int(events) + OFFLINE_SEQ_MARGIN)
    # Dossier codes are numbered per day: every day from the backup's last one to tomorrow
    # (a restore near midnight) may have codes the lost hours issued.
    today = to_vn(clock()).date()
    newest = store.conn.execute(
        "SELECT max(day) FROM code_sequences WHERE counter_no = ?", (config.counter.number,)
    ).fetchone()[0]
    day = min(date.fromisoformat(newest), today) if newest else today
    day = max(day, today - timedelta(days=31))  # a month at most: older days are closed
    while day <= today + timedelta(days=1):
        row = store.conn.execute(
            "SELECT last_seq FROM code_sequences WHERE day = ? AND counter_no = ?",
            (day.isoformat(), config.counter.number),
        ).fetchone()
        continue_after(
            store.db,
            config.counter.number,
            day,
            min((row[0] if row else 0) + OFFLINE_CODE_MARGIN, 9000),
        )
        day += timedelta(days=1)
