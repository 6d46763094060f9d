"""The log (issue #13): background failures are written down with their exception, in a
rotating file in the data folder, one line per event, and never with a person's data."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from counter import logs
from counter.demo import seed_demo
from counter.desk import Desk
from counter.sync import SyncWorker, sync_once
from counter.sync import worker as sync_worker
from portal import admin
from portal.server import ThreadedPortal
from printing.spool_worker import drain_once
from tests.support.config import make_config
from tests.support.servers import free_port
from tests.support.sync import AGENCY


def test_redact_masks_phones_ids_and_emails_but_not_codes_or_uuids() -> None:
    line = (
        "dossier 000.00.12.H26-261126-030001 uuid 0b0e5f1c-3d0a-4a53-9a0e-123456789012 "
        "change 1764580000123 phone 0912 345 678 / +84912345678 id 001090012345 "
        "mst 0101234567 mail an.nguyen@example.vn at 2026-11-26T09:30:00+07:00"
    )
    out = logs.redact(line)
    for kept in (
        "000.00.12.H26-261126-030001",
        "0b0e5f1c-3d0a-4a53-9a0e-123456789012",
        "1764580000123",
        "2026-11-26T09:30:00+07:00",
    ):
        assert kept in out
    for gone in ("0912 345 678", "912345678", "001090012345", "0101234567", "an.nguyen"):
        assert gone not in out


def _closed_port() -> int:
    port = free_port()
    with socket.socket() as s:  # nothing listens there
        s.bind(("127.0.0.1", port))
    return port


def test_a_days_log_names_no_one_and_keeps_every_failure(tmp_path: Path) -> None:
    """A demo day with everything going wrong in the background: the portal down, then a
    rejected entry, a printer that is off, a bug in a sync round. Every failure is in the
    log with its exception; no demo applicant's name, ID number or phone is."""
    folder = tmp_path / "counter"
    config = make_config(
        folder,
        printer={"transport": "network", "target": f"127.0.0.1:{_closed_port()}"},
        portal={
            "url": f"http://127.0.0.1:{_closed_port()}",
            "timeout_seconds": 2.0,
            "enrollment_code": "AAAA-BBBB-CCCC",
        },
    )
    path = logs.setup_file_logging(config.data_dir)
    desk = Desk.open(config)
    assert seed_demo(desk, days=2) > 0
    # A demo store never syncs (issue #19); this day's log needs the sync, so the mark goes.
    from counter.demo import DEMO_MARK

    desk.store.delete_setting(DEMO_MARK)
    people = desk.store.conn.execute(
        "SELECT applicant_name, applicant_id, applicant_phone, applicant_email, "
        "applicant_address FROM dossiers"
    ).fetchall()
    assert len(people) >= 5

    # 1. the portal is down
    assert sync_once(desk.store, config).error is not None
    # 2. the printer is off
    assert any(not r.ok for r in drain_once(desk.store, config))
    # 3. the portal is up; one entry holds a NUL and is rejected
    with ThreadedPortal(tmp_path / "portal.db") as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, config.counter.number)
        online = replace(
            config, portal=replace(config.portal, url=portal.url, enrollment_code=code)
        )
        import json

        (payload,) = desk.store.conn.execute("SELECT payload FROM outbox WHERE seq = 2").fetchone()
        value = json.loads(payload)
        value["dossier"]["note"] = "\x00"
        with desk.store.write():
            desk.store.conn.execute(
                "UPDATE outbox SET payload = ? WHERE seq = 2", (json.dumps(value),)
            )
        report = sync_once(desk.store, online)
        assert report.ok and report.rejected >= 1, report.text()
        # 4. a bug in a round of the background worker
        boom = RuntimeError("boom in a sync round")

        def broken(*_a: object, **_k: object) -> object:
            raise boom

        original = sync_worker.sync_once  # the name the worker calls (counter.sync.worker)
        sync_worker.sync_once = broken  # type: ignore[assignment]
        try:
            worker = SyncWorker(online).start()
            deadline = 200
            while worker.rounds == 0 and deadline:
                worker._wake.wait(0.05)
                deadline -= 1
            worker.stop()
        finally:
            sync_worker.sync_once = original
    desk.close()
    for h in logging.getLogger("counter").handlers:
        h.flush()

    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert any("sync stopped (retry)" in ln for ln in lines), text
    assert any("print job" in ln and "WARNING" in ln for ln in lines), text
    assert any("the portal rejected entry 2" in ln for ln in lines), text
    crash = [ln for ln in lines if "sync round failed" in ln]
    assert crash and "RuntimeError: boom in a sync round" in crash[0]
    assert "Traceback" in crash[0]  # the exception, folded onto its one line
    for name, id_number, phone, email, address in people:
        for secret in (name, id_number, phone, email, address):
            if secret:
                assert secret not in text, secret

    # `counter doctor` shows the last errors.
    from counter_cli.doctor import run_doctor

    _ok, checks = run_doctor(config)
    (log_check,) = [c for c in checks if c.what == "Nhật ký"]
    assert "sync round failed" in log_check.detail and str(path) in log_check.detail


def test_a_rating_post_with_sixty_fields_is_refused_not_a_server_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.support.portal import lookup_counter, receive

    caplog.set_level(logging.INFO)
    with ThreadedPortal(tmp_path / "portal.db") as portal:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        c = lookup_counter(tmp_path, 3, portal, code)
        uuid, url = receive(c)
        assert sync_once(c.store, c.config).ok
        admin.set_dossier_status(portal.storage, uuid, "result_ready", by="bo")
        admin.set_dossier_status(portal.storage, uuid, "returned", by="bo", to="người nộp")
        resp = httpx.post(url, data={f"f{i}": "x" for i in range(60)})
        assert resp.status_code == 413
        assert "quá dài" in resp.text
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
        c.desk.close()
