"""End to end on loopback: counter → real portal (uvicorn) → back office → counter shows it."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from counter import sync
from counter.audit import verify_chain
from counter.store import Store
from counter.sync import (
    SyncWorker,
    backoff_delay,
    rejected_entries,
    run_sync_command,
    sync_once,
    sync_status,
)
from portal import admin
from portal.server import ThreadedPortal
from tests.support.clock import FrozenClock
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.sync import AGENCY, assert_converged, make_counter, receive_some, with_url


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    """A real portal on SQLite and on PostgreSQL (tests/support/pg.py starts a private cluster)."""
    with ThreadedPortal(portal_db) as p:
        yield p


def test_back_office_status_change_reaches_the_counter(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    first, second, _third = receive_some(c, 3, act_every=0)

    report = sync_once(c.store, c.config)
    assert report.ok, report.text()
    assert report.enrolled and report.applied == 3 and report.pending == 0
    assert_converged(portal.storage, c.store)

    code1 = c.desk.get(first).code
    ch1 = admin.set_dossier_status(portal.storage, code1, "processing", by="Phòng Tư pháp")
    ch2 = admin.set_dossier_status(portal.storage, second, "result_ready", by="Phòng Tư pháp")
    assert portal.storage.dossier(first)["status"] == "processing"  # type: ignore[index]

    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_applied == 2, report.text()
    # The counter confirms what it pulled in the same round (its echo entries are pushed).
    assert report.applied == 2 and report.pending == 0, report.text()
    assert c.desk.get(first).status == "processing"
    done = c.desk.get(second)
    assert done.status == "result_ready" and done.finished_at is not None
    last = c.desk.timeline(first)[-1]
    assert last.action == "portal.status" and last.officer_name == ""
    assert last.details["change_id"] == ch1.id and last.details["by"] == "Phòng Tư pháp"

    # The counter's echo told the portal it applied both; pulling again applies nothing twice.
    report = sync_once(c.store, c.config)
    assert report.ok and report.pulled == 0 and report.applied == 0
    for ch in (ch1, ch2):
        assert portal.storage.change(ch.id)["outcome"] == "applied"  # type: ignore[index]
    assert_converged(portal.storage, c.store)
    assert verify_chain(c.store.db) == []
    # Rewinding the cursor replays the changes; they are recognised and not applied again.
    c.store.set_setting(sync.K_CURSOR, "0")
    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_applied == 0
    assert [e.action for e in c.desk.timeline(first)].count("portal.status") == 1


def test_an_illegal_central_change_is_recorded_never_applied(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    (uuid,) = receive_some(c, 1, act_every=0)
    assert sync_once(c.store, c.config).ok
    change = admin.set_dossier_status(portal.storage, uuid, "result_ready", by="back office")
    c.desk.act(uuid, "refuse", reason="Thiếu giấy tờ")  # meanwhile, at the counter

    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_rejected == 1, report.text()
    assert c.desk.get(uuid).status == "refused"
    (rej,) = rejected_entries(c.store)
    assert rej.source == "pull" and rej.ref == change.id and "illegal_transition" in rej.reason
    assert rej.dossier_code == c.desk.get(uuid).code
    assert sync_status(c.store, c.config).rejected == 1

    assert sync_once(c.store, c.config).ok  # pushes the refusal notice
    assert portal.storage.change(change.id)["outcome"] == "refused"  # type: ignore[index]
    assert portal.storage.dossier(uuid)["status"] == "refused"  # type: ignore[index]
    assert_converged(portal.storage, c.store)


def test_corrections_and_ratings_are_pulled_once(tmp_path: Path, portal: ThreadedPortal) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    (uuid,) = receive_some(c, 1, act_every=0)
    assert sync_once(c.store, c.config).ok
    admin.correct_dossier(
        portal.storage, uuid, {"applicant_phone": "0987654321"}, by="Phòng Tư pháp"
    )
    admin.record_rating(portal.storage, uuid, 5, "Cán bộ nhiệt tình")
    report = sync_once(c.store, c.config)
    assert report.ok and report.pull_applied == 2, report.text()
    assert c.desk.get(uuid).applicant.phone == "0987654321"
    assert c.desk.search("0987654321").total == 1  # the search index follows the correction
    ratings = c.store.conn.execute("SELECT score, comment FROM ratings").fetchall()
    assert ratings == [(5, "Cán bộ nhiệt tình")]
    assert sync_once(c.store, c.config).ok
    assert_converged(portal.storage, c.store)


def test_a_rejected_entry_is_kept_and_does_not_block_the_next(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 2, act_every=0)
    with c.store.write():
        c.store.conn.execute(
            "INSERT INTO outbox(kind, schema_version, payload, created_at) "
            "VALUES ('queue.ticket', 1, '{}', '2026-11-26T09:30:00+07:00')"
        )
    receive_some(c, 2, act_every=0)

    report = sync_once(c.store, c.config)
    assert report.ok and report.applied == 4 and report.rejected == 1, report.text()
    (rej,) = rejected_entries(c.store)
    assert rej.source == "push" and rej.ref == 3 and rej.reason.startswith("unknown_kind")
    status = sync_status(c.store, c.config)
    assert status.pending == 0 and status.rejected == 1 and status.online is True
    (kept,) = admin.rejected_entries(portal.storage)
    assert kept["seq"] == 3 and kept["reason"] == rej.reason
    assert "bị từ chối #3" in report.text()


def test_revoked_device_reenrolls_with_a_new_code(tmp_path: Path, portal: ThreadedPortal) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 2)
    assert sync_once(c.store, c.config).ok
    admin.revoke_device(portal.storage, c.device_id)
    receive_some(c, 2)

    report = sync_once(c.store, c.config)
    assert report.error is not None and report.error.error_class == "reauth"
    status = sync_status(c.store, c.config)
    assert not status.enrolled and status.pending == 3
    assert status.last_error and "revoked" in status.last_error
    # The old code cannot bring a revoked device back (the counter does not even send it) …
    report = sync_once(c.store, c.config)
    assert report.error is not None and report.error.code == "enrollment_code_used"
    # … nor a code for a new device …
    fresh = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    report = sync_once(c.store, with_url(c.config, portal.url, enrollment_code=fresh))
    assert report.error is not None and report.error.code == "enrollment_refused"
    # … one the operator issued for this device does, and the sequence goes on where it stopped.
    config = with_url(
        c.config,
        portal.url,
        enrollment_code=admin.create_enrollment_code(
            portal.storage, AGENCY, 3, device_id=c.device_id
        ),
    )
    report = sync_once(c.store, config)
    assert report.ok and report.enrolled and report.applied == 3, report.text()
    assert_converged(portal.storage, c.store)


def test_a_replaced_counter_pc_goes_on_from_its_predecessors_codes(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    """Counter 3's PC dies mid-day and a fresh install takes its number: its first dossier
    continues the day's sequence instead of reusing 0001, so nothing clashes on the portal."""
    from counter.codes import parse_code
    from tests.support.builders import draft_for

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    old = make_counter(tmp_path / "old", 3, portal.url, code)
    receive_some(old, 3)
    assert sync_once(old.store, old.config).ok
    admin.revoke_device(portal.storage, old.device_id)

    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    new = make_counter(tmp_path / "new", 3, portal.url, code)
    report = sync_once(new.store, new.config)
    assert report.ok and report.enrolled, report.text()
    dossier = new.desk.receive(draft_for(new.desk, "1.004194"))
    parsed = parse_code(dossier.code)
    assert parsed is not None and parsed.seq == 4
    report = sync_once(new.store, new.config)
    assert report.ok and not report.rejected, report.text()
    codes = [r[0] for r in portal.storage.query("SELECT code FROM dossiers ORDER BY code")]
    assert [c[-4:] for c in codes] == ["0001", "0002", "0003", "0004"]
    # Another counter number is not affected.
    other = make_counter(
        tmp_path / "other", 4, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 4)
    )
    assert sync_once(other.store, other.config).ok
    assert other.desk.receive(draft_for(other.desk, "1.004194")).code.endswith("040001")
    for c in (old, new, other):
        c.desk.close()


def test_enrollment_refuses_a_code_for_another_counter(
    tmp_path: Path, portal: ThreadedPortal
) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 4)
    c = make_counter(tmp_path, 3, portal.url, code)
    report = sync_once(c.store, c.config)
    assert report.error is not None and report.error.code == "enrollment_refused"
    assert "4" not in report.error.message  # a refusal names nothing
    # Another device cannot take a counter that is already held.
    other = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    assert sync_once(c.store, with_url(c.config, portal.url, enrollment_code=other)).ok
    d = make_counter(
        tmp_path / "b", 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
    )
    report = sync_once(d.store, d.config)
    assert report.error is not None and report.error.code == "enrollment_refused"
    assert c.device_id not in report.error.message


def test_sync_command_and_status_reader(tmp_path: Path, portal: ThreadedPortal) -> None:
    clock = FrozenClock()
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code, clock=clock)
    receive_some(c, 2)
    before = sync_status(c.store, c.config)
    assert before.online is None and before.pending == 3 and before.last_success is None
    text = run_sync_command(c.config)
    assert (
        "Đã đăng ký thiết bị" in text
        and "Đã gửi 3 bản ghi: 3 được ghi nhận" in text
        and "0 bản ghi đang chờ gửi" in text
    )
    after = sync_status(c.store, c.config)
    assert after.online is True and after.pending == 0 and after.last_success is not None
    assert after.last_error is None

    offline = with_url(c.config, "http://127.0.0.1:9")  # nothing listens on the discard port
    receive_some(c, 1, act_every=0)
    text = run_sync_command(offline)
    assert "Đồng bộ dừng (retry)" in text and "1 bản ghi đang chờ gửi" in text
    status = sync_status(c.store, offline)
    assert status.online is False and status.pending == 1 and status.last_success is not None
    assert status.last_error and "unreachable" in status.last_error

    unconfigured = with_url(c.config, "")
    assert run_sync_command(unconfigured).startswith("Bỏ qua đồng bộ: chưa cấu hình")


def test_nothing_waits_on_a_hanging_portal(tmp_path: Path) -> None:
    """A portal that accepts connections and never answers: the desk stays fast."""
    hang = socket.socket()
    hang.bind(("127.0.0.1", 0))
    hang.listen(50)
    url = f"http://127.0.0.1:{hang.getsockname()[1]}"
    try:
        c = make_counter(tmp_path, 3, url, "ABCD-EFGH-JKLM", timeout=1.0)
        statuses: list[sync.SyncStatus] = []
        worker = SyncWorker(c.config, on_status=statuses.append).start()
        try:
            for _ in range(5):
                t0 = time.monotonic()
                receive_some(c, 1, act_every=0)
                sync_status(c.store, c.config)
                assert time.monotonic() - t0 < 0.5
            worker.sync_now()
            deadline = time.monotonic() + 10
            while not statuses and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            t0 = time.monotonic()
            worker.stop()
            assert time.monotonic() - t0 < 3
        assert statuses and statuses[-1].online is False
        assert statuses[-1].last_error and "unreachable" in statuses[-1].last_error
        assert sync_status(c.store, c.config).pending == 5
    finally:
        hang.close()


def test_worker_survives_restart_and_catches_up(tmp_path: Path, portal: ThreadedPortal) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 3)
    done = threading.Event()
    worker = SyncWorker(c.config, on_status=lambda s: done.set() if s.pending == 0 else None)
    worker.start()
    assert done.wait(10)
    worker.stop()
    receive_some(c, 3)  # written while no worker runs
    done.clear()
    worker = SyncWorker(c.config, on_status=lambda s: done.set() if s.pending == 0 else None)
    worker.start()
    assert done.wait(10)
    worker.stop()
    assert_converged(portal.storage, c.store)


def test_backoff_is_exponential_with_jitter() -> None:
    rng = random.Random(7)
    assert backoff_delay(0) == 0
    for failures in range(1, 12):
        ceiling = min(300.0, 2.0 * 2 ** (failures - 1))
        delays = [backoff_delay(failures, rng=rng) for _ in range(50)]
        assert all(ceiling / 10 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 40  # jittered, so counters do not retry in lockstep
    assert backoff_delay(100, rng=rng) <= 300


def test_migration_adds_sync_tables(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    cols = {r[1] for r in store.conn.execute("PRAGMA table_info(outbox)")}
    assert {"attempts", "last_error"} <= cols
    for table in ("pulled_changes", "ratings"):
        assert store.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
