"""Retention: the cleanup frees what the policy no longer keeps and never touches what is not
yet printed or synced, nor the legal record (dossiers, timeline, audit)."""

from __future__ import annotations

import logging
import os
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter import retention
from counter.config import ConfigError, parse_config
from counter.desk import Desk
from counter.store import Store
from counter.timeutil import iso
from tests.support.builders import draft_for
from tests.support.clock import FROZEN_NOW
from tests.support.config import make_config

OLD = FROZEN_NOW - timedelta(days=400)
RECENT = FROZEN_NOW - timedelta(days=2)


def _fill(desk: Desk, n: int) -> None:
    desk.login("canbo", "1234")
    for _ in range(n):
        desk.receive(draft_for(desk))


def _snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    """Every row of the tables a cleanup must never change."""
    return {
        table: store.conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
        for table in ("dossiers", "dossier_events", "audit")
    }


def _old_preview(folder: Path, name: str, size: int, *, old: bool) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(b"x" * size)
    when = (OLD if old else RECENT).timestamp()
    os.utime(path, (when, when))
    return path


def test_cleanup_frees_only_what_is_finished_and_old(desk: Desk) -> None:
    _fill(desk, 12)
    store = desk.store
    seqs = [r[0] for r in store.conn.execute("SELECT seq FROM outbox ORDER BY seq")]
    jobs = [r[0] for r in store.conn.execute("SELECT id FROM print_jobs ORDER BY id")]
    assert len(seqs) >= 12 and len(jobs) == 12
    with store.write():
        # outbox: old acked (freed), recent acked (kept), old rejected (kept), pending (kept)
        store.conn.execute("UPDATE outbox SET acked_at = ? WHERE seq <= ?", (iso(OLD), seqs[5]))
        store.conn.execute(
            "UPDATE outbox SET acked_at = ? WHERE seq IN (?, ?)", (iso(RECENT), seqs[6], seqs[7])
        )
        store.conn.execute(
            "UPDATE outbox SET rejected_reason = 'bad', acked_at = NULL WHERE seq = ?",
            (seqs[8],),
        )
        # print jobs, all created long ago: sent and cancelled are freed; pending, sending and
        # uncertain may still print and keep their document.
        store.conn.execute("UPDATE print_jobs SET created_at = ?", (iso(OLD),))
        for job, status in zip(
            jobs,
            ["sent"] * 4 + ["cancelled"] * 2 + ["pending", "sending", "uncertain"] * 2,
            strict=False,
        ):
            store.conn.execute("UPDATE print_jobs SET status = ? WHERE id = ?", (status, job))
    preview = Path(desk.config.printers[0].target)
    old_file = _old_preview(preview, "1.png", 5000, old=True)
    old_bin = _old_preview(preview, "1.bin", 3000, old=True)
    new_file = _old_preview(preview, "2.png", 5000, old=False)
    other = _old_preview(preview, "notes.txt", 100, old=True)
    keep_rows = store.conn.execute(
        "SELECT seq, payload FROM outbox WHERE acked_at IS NULL OR acked_at >= ? "
        "OR rejected_reason IS NOT NULL",
        (iso(RECENT - timedelta(days=1)),),
    ).fetchall()
    keep_jobs = store.conn.execute(
        "SELECT id, document FROM print_jobs WHERE status IN ('pending','sending','uncertain')"
    ).fetchall()
    legal = _snapshot(store)

    would = retention.plan(store, desk.config, FROZEN_NOW)
    assert (would.preview_files, would.print_documents, would.outbox_payloads) == (2, 6, 6)
    assert would.preview_bytes == 8000
    assert would.print_document_bytes > 0 and would.outbox_payload_bytes > 0
    assert old_file.exists()  # planning reads only

    freed = retention.clean(store, desk.config, FROZEN_NOW)
    assert (freed.preview_files, freed.print_documents, freed.outbox_payloads) == (2, 6, 6)
    assert freed.print_document_bytes == would.print_document_bytes
    assert not old_file.exists() and not old_bin.exists()
    assert new_file.exists() and other.exists()
    assert (
        keep_rows
        == store.conn.execute(
            "SELECT seq, payload FROM outbox WHERE acked_at IS NULL OR acked_at >= ? "
            "OR rejected_reason IS NOT NULL",
            (iso(RECENT - timedelta(days=1)),),
        ).fetchall()
    )
    assert (
        keep_jobs
        == store.conn.execute(
            "SELECT id, document FROM print_jobs WHERE status IN ('pending','sending','uncertain')"
        ).fetchall()
    )
    assert _snapshot(store) == legal
    # Nothing left to free: a second run is a no-op.
    again = retention.clean(store, desk.config, FROZEN_NOW)
    assert (again.preview_files, again.print_documents, again.outbox_payloads) == (0, 0, 0)
    # The sync views still read: nothing pending was lost, the rejected entry still shows.
    from counter.sync import rejected_entries, sync_status

    assert sync_status(store, desk.config).pending == len(seqs) - 9
    assert [e.ref for e in rejected_entries(store)] == [seqs[8]]


def test_a_pruned_receipt_still_previews_and_reprints(desk: Desk) -> None:
    from screens.status import receipt_preview

    _fill(desk, 1)
    store = desk.store
    dossier = desk.today().dossiers[0]
    before = receipt_preview(desk, dossier)
    with store.write():
        store.conn.execute("UPDATE print_jobs SET status = 'sent', created_at = ?", (iso(OLD),))
    assert retention.clean(store, desk.config, FROZEN_NOW).print_documents == 1
    assert receipt_preview(desk, dossier) == before
    job = desk.reprint(dossier.uuid)
    assert job > 0


STATES = st.sampled_from(["pending", "sending", "sent", "uncertain", "cancelled"])
OUTBOX = st.sampled_from(["pending", "acked", "rejected"])
AGES = st.integers(min_value=0, max_value=800)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    jobs=st.lists(st.tuples(STATES, AGES), min_size=1, max_size=6),
    entries=st.lists(st.tuples(OUTBOX, AGES), min_size=1, max_size=6),
)
def test_property_nothing_unfinished_or_young_is_touched(
    tmp_path_factory: pytest.TempPathFactory,
    jobs: list[tuple[str, int]],
    entries: list[tuple[str, int]],
) -> None:
    """Whatever the mix of states and ages: a row changes if and only if it is finished and
    older than its retention, and then only its payload or document is released."""
    config = make_config(tmp_path_factory.mktemp("ret"))
    store = Store(config.db_path)
    try:
        with store.write():
            for i, (status, age) in enumerate(jobs):
                store.conn.execute(
                    "INSERT INTO print_jobs(created_at, kind, ref, printer, document, status, "
                    "next_attempt_at) VALUES (?, 'receipt', ?, 'preview', ?, ?, ?)",
                    (
                        iso(FROZEN_NOW - timedelta(days=age)),
                        f"r{i}",
                        '{"code": "x"}',
                        status,
                        iso(FROZEN_NOW),
                    ),
                )
            for state, age in entries:
                at = iso(FROZEN_NOW - timedelta(days=age))
                store.conn.execute(
                    "INSERT INTO outbox(kind, schema_version, payload, created_at, acked_at, "
                    "rejected_reason) VALUES ('dossier.received', 1, '{\"a\": 1}', ?, ?, ?)",
                    (at, at if state == "acked" else None, "bad" if state == "rejected" else None),
                )
        retention.clean(store, config, FROZEN_NOW)
        policy = config.retention
        docs = [r[0] for r in store.conn.execute("SELECT document FROM print_jobs ORDER BY id")]
        for (status, age), doc in zip(jobs, docs, strict=False):
            freed = status in ("sent", "cancelled") and age > policy.print_document_days
            assert doc == (retention.PRUNED_DOCUMENT if freed else '{"code": "x"}')
        payloads = [r[0] for r in store.conn.execute("SELECT payload FROM outbox ORDER BY seq")]
        for (state, age), payload in zip(entries, payloads, strict=False):
            freed = state == "acked" and age > policy.outbox_payload_days
            assert payload == (retention.PRUNED_PAYLOAD if freed else '{"a": 1}')
    finally:
        store.close()


def test_wal_is_truncated_and_capped(desk: Desk) -> None:
    _fill(desk, 30)
    wal = Path(f"{desk.store.path}-wal")
    assert wal.stat().st_size > 0
    limit = desk.store.conn.execute("PRAGMA journal_size_limit").fetchone()[0]
    assert 0 < limit <= 64 * 1024 * 1024
    retention.clean(desk.store, desk.config, FROZEN_NOW)
    assert wal.stat().st_size == 0


def test_retention_config_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(
            {"retention": {"preview_days": 0, "print_document_days": "ninety", "keep": 3}},
            source=tmp_path / "config.toml",
        )
    text = str(err.value)
    assert "[retention] preview_days: expected 1–3650 days, got 0" in text
    assert "[retention] print_document_days: expected an integer" in text
    assert "[retention] keep: unknown key" in text
    ok = parse_config({"retention": {"preview_days": 7}}, source=tmp_path / "config.toml")
    assert ok.retention.preview_days == 7


def test_worker_logs_a_failure_and_keeps_going(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = make_config(tmp_path)
    config.db_path.parent.mkdir(parents=True)
    config.db_path.mkdir()  # a folder where the store should be: every run fails
    worker = retention.CleanupWorker(config, first_delay=0.0, interval=0.01)
    with caplog.at_level(logging.ERROR, logger="counter.retention"):
        worker.start()
        for _ in range(500):
            if worker.runs >= 2:
                break
            import time

            time.sleep(0.01)
        worker.stop()
    assert worker.runs >= 2  # a failure does not stop the worker
    failures = [r for r in caplog.records if r.name == "counter.retention"]
    assert failures and failures[0].exc_info is not None


def test_cleanup_command_and_doctor(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    from counter_cli.doctor import run_doctor

    _fill(desk, 3)
    with desk.store.write():
        desk.store.conn.execute("UPDATE outbox SET acked_at = ?", (iso(OLD),))
    _ok, checks = run_doctor(desk.config)
    line = next(c for c in checks if c.what == "Thư mục dữ liệu")
    assert "MB" in line.detail and "mục đã đồng bộ" in line.detail
    out = retention.run_cleanup_command(desk.config, dry_run=True, clock=lambda: FROZEN_NOW)
    assert "dọn dẹp sẽ giải phóng" in out
    assert (
        desk.store.conn.execute("SELECT count(*) FROM outbox WHERE payload = 'null'").fetchone()[0]
        == 0
    )
    out = retention.run_cleanup_command(desk.config, dry_run=False, clock=lambda: FROZEN_NOW)
    assert "đã giải phóng" in out
    assert (
        desk.store.conn.execute("SELECT count(*) FROM outbox WHERE payload = 'null'").fetchone()[0]
        >= 3
    )
