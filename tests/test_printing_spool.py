"""The print spool end to end: job saved with the dossier, sent in the background, never lost,
printed exactly once when the printer comes back, reprints marked, QR decoded from the bytes."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import zxingcpp

from counter.desk import Desk
from counter.lookup import parse_lookup_url, verify_token
from counter.vietqr import parse_tlv, verify_crc
from printing.decode import decode_raster
from printing.spool_worker import SpoolWorker, build_documents, drain_once
from tests.support.builders import CERTIFY, draft_for
from tests.support.clock import FrozenClock
from tests.support.config import make_config
from tests.support.printer_emulator import EmulatedPrinter


def network_desk(tmp_path: Path, clock: FrozenClock, target: str, **printer) -> Desk:
    cfg = make_config(
        tmp_path, printer={"name": "quay", "transport": "network", "target": target, **printer}
    )
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


def test_receipt_job_is_saved_with_the_dossier(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk, CERTIFY))
    jobs = officer_desk.print_jobs(d.uuid)
    assert [(j.kind, j.status, j.printer) for j in jobs] == [("receipt", "pending", "preview")]
    assert officer_desk.print_state() == (1, 0)
    assert jobs[0].document["code"] == d.code
    assert jobs[0].document["applicant_id"] == "0010******45"  # masked by default


def test_preview_printer_writes_png_and_bytes_with_verifiable_qr(
    tmp_path: Path, clock: FrozenClock
) -> None:
    cfg = make_config(tmp_path, bank={"bin": "970415", "account": "113366668888"})
    officer_desk = Desk.open(cfg, clock=clock)
    officer_desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    officer_desk.login("canbo", "1234")
    # The fee is to be paid by transfer: the only case where the receipt carries a VietQR.
    d = officer_desk.receive(draft_for(officer_desk, CERTIFY, payment_method="transfer"))
    results = drain_once(officer_desk.store, officer_desk.config, officer_desk.now)
    assert [r.ok for r in results] == [True]
    job = officer_desk.print_jobs(d.uuid)[0]
    assert job.status == "sent"
    data = (tmp_path / "receipts" / f"job-{job.id:06d}.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == job.bytes_sha256
    assert (tmp_path / "receipts" / f"job-{job.id:06d}.png").exists()
    image = decode_raster(data, 576)
    texts = {b.text for b in zxingcpp.read_barcodes(image)}
    lookup = next(t for t in texts if "TRA-CUU" in t)
    ref = parse_lookup_url(lookup)
    assert ref is not None and ref.code == d.code and ref.dossier_uuid == d.uuid
    assert verify_token(
        officer_desk.device_secret, officer_desk.device_id, d.uuid, d.code, ref.token
    )
    vietqr = next(t for t in texts if t.startswith("000201"))
    assert verify_crc(vietqr)
    fields = parse_tlv(vietqr)
    assert fields["54"] == "2000"  # the chứng thực fee
    assert parse_tlv(fields["62"])["08"] == "LE PHI HS 261126030001"


def test_failed_print_stays_pending_then_prints_exactly_once(
    tmp_path: Path, clock: FrozenClock
) -> None:
    printer = EmulatedPrinter("reset")
    try:
        desk = network_desk(tmp_path, clock, printer.target)
        d = desk.receive(draft_for(desk))
        # Refused-after-accept: pending with the reason, retried later.
        assert [r.ok for r in drain_once(desk.store, desk.config, desk.now)] == [False]
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "pending" and job.attempts == 1
        assert "ngắt kết nối" in job.last_error
        assert job.next_attempt_at > clock.now
        assert desk.print_state() == (1, 1)
        # Not due yet: nothing is sent.
        assert drain_once(desk.store, desk.config, desk.now) == []
        printer.mode = "ok"
        clock.now = clock.now + timedelta(minutes=5)
        assert [r.ok for r in drain_once(desk.store, desk.config, desk.now)] == [True]
        assert drain_once(desk.store, desk.config, desk.now) == []
        assert desk.print_state() == (0, 0)
        assert len(printer.jobs) == 1
        assert (
            hashlib.sha256(printer.jobs[0]).hexdigest() == desk.print_jobs(d.uuid)[0].bytes_sha256
        )
        assert printer.jobs[0].startswith(b"\x1b@")
    finally:
        printer.close()


def test_refused_connection_and_stalled_printer_keep_the_job(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import printing.spool_worker as worker
    import printing.transports as transports

    monkeypatch.setattr(worker, "SEND_TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(transports, "SLOWEST_PRINTER_BYTES_PER_SECOND", 10**9)
    stalled = EmulatedPrinter("stall")
    dead = EmulatedPrinter("ok")
    dead_target = dead.target
    dead.close()  # nothing listens there any more: connection refused
    try:
        desk = network_desk(tmp_path / "a", clock, dead_target)
        d = desk.receive(draft_for(desk))
        drain_once(desk.store, desk.config, desk.now)
        assert "từ chối kết nối" in desk.print_jobs(d.uuid)[0].last_error
        desk2 = network_desk(tmp_path / "b", clock, stalled.target)
        d2 = desk2.receive(draft_for(desk2))
        drain_once(desk2.store, desk2.config, desk2.now)
        job = desk2.print_jobs(d2.uuid)[0]
        # The bytes left but nothing confirmed them: uncertain, and never sent again by itself.
        assert job.status == "uncertain" and "không phản hồi" in job.last_error
        clock.now = clock.now + timedelta(hours=1)
        assert drain_once(desk2.store, desk2.config, desk2.now) == []
        assert stalled.connections == 1
    finally:
        stalled.close()


def test_cancel_retry_and_redirect(tmp_path: Path, clock: FrozenClock) -> None:
    cfg = make_config(tmp_path)
    raw_two = {
        "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
        "printer": [
            {"name": "hong", "transport": "network", "target": "127.0.0.1:1"},
            {"name": "du-phong", "transport": "preview", "target": str(tmp_path / "p")},
        ],
    }
    from counter.config import parse_config

    cfg = parse_config(raw_two, source=tmp_path / "c.toml")
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    d = desk.receive(draft_for(desk))
    drain_once(desk.store, cfg, desk.now)
    job = desk.print_jobs(d.uuid)[0]
    assert job.status == "pending"
    desk.redirect_print(job.id, "du-phong")
    assert [r.ok for r in drain_once(desk.store, cfg, desk.now)] == [True]
    assert len(list((tmp_path / "p").glob("*.png"))) == 1
    second = desk.reprint(d.uuid, printer="hong")
    desk.cancel_print(second)
    assert desk.print_jobs(d.uuid)[-1].status == "cancelled"
    with pytest.raises(Exception, match="không còn chờ in"):
        desk.retry_print(second)


def test_reprint_is_marked_and_two_copies_are_labelled(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk))
    job_id = officer_desk.reprint(d.uuid)
    job = next(j for j in officer_desk.print_jobs(d.uuid) if j.id == job_id)
    docs = build_documents(job)
    assert docs[0].reprint is True
    two = job.__class__(**{**job.__dict__, "copies": 2})
    labels = [doc.copy_label for doc in build_documents(two)]
    assert labels == ["Liên 1: Lưu tại cơ quan", "Liên 2: Giao người nộp hồ sơ"]


def test_supplement_and_refusal_print_their_slips(officer_desk: Desk) -> None:
    d = officer_desk.receive(draft_for(officer_desk, "1.004194"))
    officer_desk.act(d.uuid, "request_supplement", items=["Hợp đồng thuê nhà"], reason="Thiếu")
    officer_desk.act(d.uuid, "refuse", reason="Không bổ sung đúng hạn\nHồ sơ không hợp lệ")
    kinds = [j.kind for j in officer_desk.print_jobs(d.uuid)]
    assert kinds == ["receipt", "supplement", "refusal"]
    refusal = officer_desk.print_jobs(d.uuid)[-1]
    assert refusal.document["reasons"] == ["Không bổ sung đúng hạn", "Hồ sơ không hợp lệ"]
    results = drain_once(officer_desk.store, officer_desk.config, officer_desk.now)
    assert all(r.ok for r in results) and len(results) == 3


def test_background_worker_never_blocks_the_caller(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saving returns at once while the printer stalls; the worker prints when it can."""
    import threading

    import printing.spool_worker as worker_module
    import printing.transports as transports

    monkeypatch.setattr(worker_module, "SEND_TIMEOUT_SECONDS", 1.0)
    monkeypatch.setattr(transports, "SLOWEST_PRINTER_BYTES_PER_SECOND", 10**9)

    stalled = EmulatedPrinter("stall")
    try:
        desk = network_desk(tmp_path, clock, stalled.target)
        done = threading.Event()
        worker = SpoolWorker(desk.config, interval=0.05, now=clock, on_change=lambda _r: done.set())
        worker.start()
        d = desk.receive(draft_for(desk))  # returns although the printer is hung
        assert desk.get(d.uuid).status == "received"
        worker.wake()
        assert done.wait(30)  # the worker reported the failure after its own timeout
        worker.stop()
        assert desk.print_jobs(d.uuid)[0].status == "uncertain"
    finally:
        stalled.close()


def test_paper_out_keeps_the_job_and_a_silent_printer_still_prints(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A printer that reports "paper end" gets nothing; one that never answers the status
    query (no status support) prints as usual, once."""
    empty = EmulatedPrinter("paper_out")
    silent = EmulatedPrinter("ok", answers_status=False)
    try:
        desk = network_desk(tmp_path / "a", clock, empty.target)
        d = desk.receive(draft_for(desk))
        assert [r.ok for r in drain_once(desk.store, desk.config, desk.now)] == [False]
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "pending" and "hết giấy" in job.last_error
        assert empty.jobs == []
        desk2 = network_desk(tmp_path / "b", clock, silent.target)
        d2 = desk2.receive(draft_for(desk2))
        assert [r.ok for r in drain_once(desk2.store, desk2.config, desk2.now)] == [True]
        assert len(silent.jobs) == 1
        sent = silent.jobs[0]
        assert sent.startswith(b"\x10\x04\x04\x1b@")  # the status query, then ESC @
        assert hashlib.sha256(sent[3:]).hexdigest() == desk2.print_jobs(d2.uuid)[0].bytes_sha256
    finally:
        empty.close()
        silent.close()
