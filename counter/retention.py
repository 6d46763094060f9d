"""Retention: what the data folder keeps, for how long, and the cleanup that enforces it.

A counter PC runs for years on a small disk. Everything that grows with the work is kept
only as long as it is useful, and nothing that is not yet safe elsewhere is ever touched:

- preview printer files (`<job>.png`, `<job>.bin`): `preview_days`;
- the printed document of a print job that is sent or cancelled: `print_document_days`
  (the job row stays, for F3 and the audit; a reprint builds the receipt again);
- the payload of an outbox entry the portal acknowledged: `outbox_payload_days` (the row
  and its sequence number stay; rejected and pending entries keep everything);
- the SQLite write-ahead log: truncated at each cleanup, and capped with
  `journal_size_limit` while the app runs (see `Store`).

The dossiers, their timeline and the audit trail are the legal record: never cleaned here.
Backups and logs rotate where they are written. `plan` says what a cleanup would free
(`counter doctor`, `counter cleanup --dry-run`); `clean` does it, in one transaction.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from counter.config import Config, RetentionConfig
from counter.store import Store
from counter.timeutil import Clock, iso, system_clock

log = logging.getLogger("counter.retention")

PRUNED_PAYLOAD = "null"  # an acknowledged entry whose payload was released
PRUNED_DOCUMENT = "{}"  # a finished print job whose document was released

# Only jobs that reached paper, or that a person cancelled. Pending, sending and uncertain
# jobs keep their document: they may still print.
_FINISHED_JOBS = "status IN ('sent', 'cancelled')"


@dataclass(frozen=True)
class CleanupPlan:
    """What a cleanup frees (or freed): counts and bytes per kind."""

    preview_files: int = 0
    preview_bytes: int = 0
    print_documents: int = 0
    print_document_bytes: int = 0
    outbox_payloads: int = 0
    outbox_payload_bytes: int = 0
    wal_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return (
            self.preview_bytes
            + self.print_document_bytes
            + self.outbox_payload_bytes
            + self.wal_bytes
        )


def folder_size(folder: Path) -> int:
    """Bytes under `folder` (files only; unreadable entries count as 0)."""
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


def preview_folders(config: Config) -> list[Path]:
    """The folders where preview printers write their files."""
    return [Path(p.target) for p in config.printers if p.transport == "preview"]


def _old_previews(config: Config, cutoff: datetime) -> list[Path]:
    limit = cutoff.timestamp()
    old: list[Path] = []
    for folder in preview_folders(config):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.suffix not in (".png", ".bin") or not entry.is_file():
                continue
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < limit:
                    old.append(entry)
    return old


def _wal_bytes(store: Store) -> int:
    try:
        return Path(f"{store.path}-wal").stat().st_size
    except OSError:
        return 0


def _cutoffs(policy: RetentionConfig, now: datetime) -> tuple[datetime, datetime, datetime]:
    return (
        now - timedelta(days=policy.preview_days),
        now - timedelta(days=policy.print_document_days),
        now - timedelta(days=policy.outbox_payload_days),
    )


def plan(store: Store, config: Config, now: datetime) -> CleanupPlan:
    """What `clean` would free now; reads only."""
    policy = config.retention
    preview_cut, print_cut, outbox_cut = _cutoffs(policy, now)
    previews = _old_previews(config, preview_cut)
    preview_bytes = 0
    for path in previews:
        with contextlib.suppress(OSError):
            preview_bytes += path.stat().st_size
    docs, doc_bytes = store.conn.execute(
        f"SELECT count(*), coalesce(sum(length(document)), 0) FROM print_jobs "
        f"WHERE {_FINISHED_JOBS} AND document != ? AND created_at < ?",
        (PRUNED_DOCUMENT, iso(print_cut)),
    ).fetchone()
    payloads, payload_bytes = store.conn.execute(
        "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox "
        "WHERE acked_at IS NOT NULL AND rejected_reason IS NULL AND payload != ? "
        "AND acked_at < ?",
        (PRUNED_PAYLOAD, iso(outbox_cut)),
    ).fetchone()
    return CleanupPlan(
        preview_files=len(previews),
        preview_bytes=preview_bytes,
        print_documents=int(docs),
        print_document_bytes=int(doc_bytes),
        outbox_payloads=int(payloads),
        outbox_payload_bytes=int(payload_bytes),
        wal_bytes=_wal_bytes(store),
    )


def clean(store: Store, config: Config, now: datetime) -> CleanupPlan:
    """Release what the retention policy no longer keeps; return what was freed.

    The store changes in one transaction; the WAL is then truncated, so the space returns to
    the disk (SQLite reuses freed pages inside the file; the file does not shrink)."""
    policy = config.retention
    preview_cut, print_cut, outbox_cut = _cutoffs(policy, now)
    freed_files = 0
    freed_file_bytes = 0
    for path in _old_previews(config, preview_cut):
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError as exc:
            log.warning("preview file %s not removed: %s", path.name, exc)
            continue
        freed_files += 1
        freed_file_bytes += size
    with store.write():
        docs, doc_bytes = store.conn.execute(
            f"SELECT count(*), coalesce(sum(length(document)), 0) FROM print_jobs "
            f"WHERE {_FINISHED_JOBS} AND document != ? AND created_at < ?",
            (PRUNED_DOCUMENT, iso(print_cut)),
        ).fetchone()
        store.conn.execute(
            f"UPDATE print_jobs SET document = ? "
            f"WHERE {_FINISHED_JOBS} AND document != ? AND created_at < ?",
            (PRUNED_DOCUMENT, PRUNED_DOCUMENT, iso(print_cut)),
        )
        payloads, payload_bytes = store.conn.execute(
            "SELECT count(*), coalesce(sum(length(payload)), 0) FROM outbox "
            "WHERE acked_at IS NOT NULL AND rejected_reason IS NULL AND payload != ? "
            "AND acked_at < ?",
            (PRUNED_PAYLOAD, iso(outbox_cut)),
        ).fetchone()
        store.conn.execute(
            "UPDATE outbox SET payload = ? "
            "WHERE acked_at IS NOT NULL AND rejected_reason IS NULL AND payload != ? "
            "AND acked_at < ?",
            (PRUNED_PAYLOAD, PRUNED_PAYLOAD, iso(outbox_cut)),
        )
    wal_before = _wal_bytes(store)
    with contextlib.suppress(Exception):  # a reader holding the WAL: try again next time
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    freed = CleanupPlan(
        preview_files=freed_files,
        preview_bytes=freed_file_bytes,
        print_documents=int(docs),
        print_document_bytes=int(doc_bytes),
        outbox_payloads=int(payloads),
        outbox_payload_bytes=int(payload_bytes),
        wal_bytes=max(0, wal_before - _wal_bytes(store)),
    )
    if freed.total_bytes:
        log.info(
            "cleanup freed %d bytes: %d preview files, %d print documents, %d outbox payloads",
            freed.total_bytes,
            freed.preview_files,
            freed.print_documents,
            freed.outbox_payloads,
        )
    return freed


class CleanupWorker:
    """Runs `clean` shortly after start and then every `interval` seconds, in its own thread
    with its own store connection; a failure is logged and tried again next time."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = system_clock,
        first_delay: float = 60.0,
        interval: float = 6 * 3600.0,
    ):
        self.config = config
        self.clock = clock
        self.first_delay = first_delay
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def start(self) -> CleanupWorker:
        self._thread = threading.Thread(target=self._loop, name="cleanup", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> CleanupPlan | None:
        """One cleanup; None when it failed (logged with its exception)."""
        self.runs += 1
        try:
            store = Store(self.config.db_path)
        except Exception:
            log.exception("cleanup: the store could not be opened")
            return None
        try:
            return clean(store, self.config, self.clock())
        except Exception:
            log.exception("cleanup failed")
            return None
        finally:
            store.close()

    def _loop(self) -> None:
        if self._stop.wait(self.first_delay):
            return
        while True:
            self.run_once()
            if self._stop.wait(self.interval):
                return


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def describe(result: CleanupPlan, *, done: bool) -> str:
    """One line in Vietnamese: what a cleanup frees (or freed)."""
    verb = "đã giải phóng" if done else "dọn dẹp sẽ giải phóng"
    return (
        f"{verb} {_mb(result.total_bytes)}: {result.preview_files} tệp xem trước "
        f"({_mb(result.preview_bytes)}), {result.print_documents} bản in đã in xong "
        f"({_mb(result.print_document_bytes)}), {result.outbox_payloads} mục đã đồng bộ "
        f"({_mb(result.outbox_payload_bytes)}), nhật ký WAL {_mb(result.wal_bytes)}"
    )


def run_cleanup_command(config: Config, *, dry_run: bool, clock: Clock = system_clock) -> str:
    """`counter cleanup [--dry-run]`: the data folder's size, then what was (would be) freed."""
    store = Store(config.db_path)
    try:
        before = folder_size(config.data_dir)
        if dry_run:
            return f"Thư mục dữ liệu {config.data_dir}: {_mb(before)}; " + describe(
                plan(store, config, clock()), done=False
            )
        freed = clean(store, config, clock())
    finally:
        store.close()
    after = folder_size(config.data_dir)
    return f"Thư mục dữ liệu {config.data_dir}: {_mb(before)} → {_mb(after)}; " + describe(
        freed, done=True
    )
