"""Each receipt prints at most once, against network printers that misbehave the way real ones
do (tests/support/printer_emulator.py on 127.0.0.1), and one stuck printer never holds up another.

The spool's promise: a job is `sent` only when the printer confirmed it, `pending` (retried)
only when nothing of it left, and `uncertain` otherwise: never sent again until the officer
answers "Máy in có in ra không?", an answer that is audited.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import printing.spool_worker as worker_module
import printing.transports as transports
from counter import spool
from counter.config import parse_config
from counter.desk import Desk
from counter.documents import SelfTestPage, TicketData, document_fields
from counter.store import Store
from counter.timeutil import parse_iso
from printing.errors import DeliveryUncertain, PrinterUnavailable
from printing.spool_worker import SpoolWorker, drain_once
from tests.support.builders import draft_for
from tests.support.clock import FROZEN_NOW, FrozenClock
from tests.support.config import make_config
from tests.support.printer_emulator import EmulatedPrinter

PAGE = SelfTestPage("quay", "TM-T20II", "raster", 576, FROZEN_NOW)


@pytest.fixture(autouse=True)
def quick_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give up on a silent printer in about a second instead of ten."""
    monkeypatch.setattr(worker_module, "SEND_TIMEOUT_SECONDS", 0.6)
    monkeypatch.setattr(transports, "SLOWEST_PRINTER_BYTES_PER_SECOND", 10**9)


def desk_for(tmp_path: Path, clock: FrozenClock, *printers: dict[str, str]) -> Desk:
    if len(printers) == 1:
        cfg = make_config(tmp_path, printer=printers[0])
    else:
        cfg = parse_config(
            {
                "counter": {"data_dir": str(tmp_path / "data"), "demo_data": False},
                "printer": list(printers),
            },
            source=tmp_path / "c.toml",
        )
    desk = Desk.open(cfg, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


def net(name: str, printer: EmulatedPrinter) -> dict[str, str]:
    return {"name": name, "transport": "network", "target": printer.target}


def drain(desk: Desk) -> list[tuple[bool, bool]]:
    return [(r.ok, r.uncertain) for r in drain_once(desk.store, desk.config, desk.now)]


def test_keep_open_printer_with_status_prints_once_and_is_confirmed(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Reads the whole job, never closes: its status answer after the job confirms it."""
    printer = EmulatedPrinter("keep_open")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(True, False)]
        for _ in range(3):  # later rounds, long after any backoff: nothing more is sent
            clock.now = clock.now + timedelta(minutes=10)
            assert drain(desk) == []
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "sent" and job.attempts == 1
        assert printer.connections == 1 and len(printer.jobs) == 1
        assert hashlib.sha256(printer.jobs[0]).hexdigest() == job.bytes_sha256
    finally:
        printer.close()


def test_keep_open_printer_without_status_is_uncertain_not_reprinted(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """No status and no close: nothing proves it printed, so the officer is asked."""
    printer = EmulatedPrinter("keep_open", answers_status=False)
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, True)]
        clock.now = clock.now + timedelta(hours=1)
        assert drain(desk) == []
        assert printer.connections == 1
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "uncertain" and job.bytes_sha256
        assert desk.print_state() == (1, 1) and desk.uncertain_prints() == 1
    finally:
        printer.close()


def test_stall_then_read_gets_no_whole_second_copy(tmp_path: Path, clock: FrozenClock) -> None:
    """A printer that stalls past the timeout then reads: the abandoned connection was reset,
    so the kernel delivers at most what the printer had already buffered (never the whole
    job again), and the job is uncertain, not resent: no duplicate receipt."""
    printer = EmulatedPrinter("stall_then_read", stall_seconds=2.5)
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, True)]
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "uncertain"
        time.sleep(3.0)  # the printer wakes up and reads whatever reached it
        clock.now = clock.now + timedelta(hours=1)
        assert drain(desk) == []
        assert printer.connections == 1
        got = sum(len(j) for j in printer.jobs)
        whole = len(transports.PAPER_STATUS) + 20_000  # a receipt is far larger than this
        assert got < whole
    finally:
        printer.close()


def test_reset_mid_job_is_uncertain(tmp_path: Path, clock: FrozenClock) -> None:
    printer = EmulatedPrinter("reset_mid_job", cut_after=8192)
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, True)]
        job = desk.print_jobs(d.uuid)[0]
        assert job.status == "uncertain" and "ngắt kết nối" in job.last_error
        clock.now = clock.now + timedelta(hours=1)
        assert drain(desk) == []
    finally:
        printer.close()


def test_reset_before_the_job_is_retried_and_prints_once(
    tmp_path: Path, clock: FrozenClock
) -> None:
    printer = EmulatedPrinter("reset")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, False)]
        assert desk.print_jobs(d.uuid)[0].status == "pending"
        printer.mode = "ok"
        clock.now = clock.now + timedelta(minutes=5)
        assert drain(desk) == [(True, False)]
        assert len(printer.jobs) == 1
    finally:
        printer.close()


def test_paper_out_before_and_during_the_job(tmp_path: Path, clock: FrozenClock) -> None:
    """Out of paper before the job: nothing sent, retried. Runs out during the job: the
    receipt may be half printed, so it is uncertain and the message says why."""
    empty = EmulatedPrinter("paper_out")
    runs_out = EmulatedPrinter("paper_out_mid_job", cut_after=4096)
    try:
        desk = desk_for(tmp_path / "a", clock, net("quay", empty))
        d = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, False)]
        assert "hết giấy" in desk.print_jobs(d.uuid)[0].last_error and empty.jobs == []
        desk2 = desk_for(tmp_path / "b", clock, net("quay", runs_out))
        d2 = desk2.receive(draft_for(desk2))
        assert drain(desk2) == [(False, True)]
        job = desk2.print_jobs(d2.uuid)[0]
        assert job.status == "uncertain" and "hết giấy giữa chừng" in job.last_error
    finally:
        empty.close()
        runs_out.close()


def test_slow_reader_at_thermal_pace_is_confirmed_not_timed_out(
    tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 KB/s, slower than the send timeout allows for a whole job: still sent, once."""
    monkeypatch.setattr(transports, "SLOWEST_PRINTER_BYTES_PER_SECOND", 8_000)
    printer = EmulatedPrinter("ok", rate=20_000)
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        desk.receive(draft_for(desk))
        assert drain(desk) == [(True, False)]
        assert len(printer.jobs) == 1
    finally:
        printer.close()


def test_officer_answers_uncertain_jobs_and_the_answer_is_audited(
    tmp_path: Path, clock: FrozenClock
) -> None:
    printer = EmulatedPrinter("keep_open", answers_status=False)
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        first = desk.receive(draft_for(desk))
        assert drain(desk) == [(False, True)]
        second = desk.receive(draft_for(desk))
        clock.now = clock.now + timedelta(minutes=1)
        assert drain(desk) == [(False, True)]
        job1, job2 = (desk.print_jobs(x.uuid)[0] for x in (first, second))
        with pytest.raises(Exception, match="trả lời câu hỏi trước"):
            desk.retry_print(job1.id)
        desk.answer_print(job1.id, printed=True)
        desk.answer_print(job2.id, printed=False)
        assert desk.print_jobs(first.uuid)[0].status == "sent"
        assert desk.print_jobs(second.uuid)[0].status == "pending"
        with pytest.raises(Exception, match="chờ xác nhận"):
            desk.answer_print(job1.id, printed=False)
        printer.mode = "ok"
        printer.answers_status = True
        assert drain(desk) == [(True, False)]  # "did not print": it prints once more
        actions = [
            r[0]
            for r in desk.store.conn.execute(
                "SELECT action FROM audit WHERE action LIKE 'print.%' ORDER BY id"
            )
        ]
        assert actions == ["print.printed", "print.not_printed"]
    finally:
        printer.close()


def test_two_workers_never_send_the_same_job(tmp_path: Path, clock: FrozenClock) -> None:
    """The kiosk and the counter app on one store (two processes, two workers): each job is
    claimed by one of them only."""
    printer = EmulatedPrinter("ok")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        for _ in range(6):
            desk.receive(draft_for(desk))
        other = Store(desk.config.db_path)
        results: list[int] = []
        barrier = threading.Barrier(2)

        def run(store: Store) -> None:
            barrier.wait()
            results.extend(r.job_id for r in drain_once(store, desk.config, desk.now) if r.ok)

        threads = [threading.Thread(target=run, args=(s,)) for s in (desk.store, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        other.close()
        assert sorted(results) == sorted(set(results)) and len(results) == 6
        assert len(printer.jobs) == 6
    finally:
        printer.close()


def test_dead_printer_with_many_jobs_never_delays_a_healthy_one(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Fairness: 20 receipts wait on a printer that accepts and never reads (each try costs
    a full timeout) and 12 on one that refuses; a job for the healthy printer is confirmed
    as fast as that printer prints, and the dead one is not fed every job in turn."""
    dead = EmulatedPrinter("stall")
    healthy = EmulatedPrinter("ok")
    refused = EmulatedPrinter("ok")
    refused_target = refused.target
    refused.close()
    try:
        desk = desk_for(
            tmp_path,
            clock,
            net("chet", dead),
            net("tot", healthy),
            {"name": "tat", "transport": "network", "target": refused_target},
        )
        stuck = [desk.receive(draft_for(desk)) for _ in range(20)]
        for _ in range(12):
            d = desk.receive(draft_for(desk))
            desk.redirect_print(desk.print_jobs(d.uuid)[0].id, "tat")
        d = desk.receive(draft_for(desk))
        healthy_job = desk.print_jobs(d.uuid)[0].id
        desk.redirect_print(healthy_job, "tot")
        worker = SpoolWorker(desk.config, interval=0.05, now=clock)
        t0 = time.monotonic()
        worker.start()
        try:
            while spool.get_job(desk.store, healthy_job).status != "sent":
                assert time.monotonic() - t0 < 5, "the healthy printer's job was held back"
                time.sleep(0.01)
            waited = time.monotonic() - t0
        finally:
            worker.stop(timeout=5)
        assert waited < 2.0
        assert len(healthy.jobs) == 1
        # The stalled printer got one job (now uncertain), not twenty.
        states = [desk.print_jobs(x.uuid)[0].status for x in stuck]
        assert states.count("uncertain") <= 2 and states.count("pending") >= 18
    finally:
        dead.close()
        healthy.close()


CRASH_SCRIPT = """
import sys, time
from pathlib import Path
from counter.config import parse_config
from printing.spool_worker import SpoolWorker
import printing.spool_worker as w
w.SEND_TIMEOUT_SECONDS = 60
cfg = parse_config(
    {"counter": {"data_dir": sys.argv[1], "demo_data": False},
     "printer": {"name": "quay", "transport": "network", "target": sys.argv[2]}},
    source=Path(sys.argv[1]) / "c.toml",
)
SpoolWorker(cfg, interval=0.05).start()
time.sleep(60)
"""


def test_job_cut_short_by_quitting_comes_back_uncertain(tmp_path: Path, clock: FrozenClock) -> None:
    """The app is killed while a job is on the wire: at the next start the job is uncertain
    (the officer is asked), not sent again behind their back."""
    printer = EmulatedPrinter("stall")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        job_id = desk.print_jobs(d.uuid)[0].id
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        proc = subprocess.Popen(
            [sys.executable, "-c", CRASH_SCRIPT, str(tmp_path / "data"), printer.target],
            env=env,
        )
        try:
            deadline = time.monotonic() + 30
            while spool.get_job(desk.store, job_id).status != "sending":
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.05)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
        assert spool.get_job(desk.store, job_id).status == "sending"
        done = threading.Event()

        def reported(results: list[worker_module.DrainResult]) -> None:
            if any(r.job_id == job_id and r.uncertain for r in results):
                done.set()

        worker = SpoolWorker(desk.config, interval=0.05, now=clock, on_change=reported)
        worker.start()
        try:
            assert done.wait(10)
        finally:
            worker.stop()
        job = spool.get_job(desk.store, job_id)
        assert job.status == "uncertain" and job.last_error == spool.INTERRUPTED_VI
        assert printer.connections == 1
    finally:
        printer.close()


def test_a_live_workers_claim_is_not_taken_for_an_interrupted_one(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """Starting a second worker (the kiosk beside the counter app) while the first is
    mid-job must not turn that job uncertain."""
    printer = EmulatedPrinter("stall")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        d = desk.receive(draft_for(desk))
        job_id = desk.print_jobs(d.uuid)[0].id
        first = SpoolWorker(desk.config, interval=0.05, now=clock)
        first.start()
        try:
            deadline = time.monotonic() + 10
            while spool.get_job(desk.store, job_id).status != "sending":
                assert time.monotonic() < deadline
                time.sleep(0.01)
            assert spool.recover_interrupted(desk.store, worker_module.owner_alive) == []
            assert spool.get_job(desk.store, job_id).status == "sending"
        finally:
            first.stop()
    finally:
        printer.close()


def test_driver_bug_mid_send_is_uncertain_and_logged(
    tmp_path: Path,
    clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected exception from a transport (bytes may have left) asks the officer, and
    the log keeps the exception with the job number only (no name, ID or phone)."""

    class Broken:
        def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
            raise RuntimeError("usb core exploded")

    monkeypatch.setattr(worker_module, "open_transport", lambda _printer: Broken())
    desk = desk_for(tmp_path, clock, {"name": "quay", "transport": "usb", "target": "04b8:0e15"})
    d = desk.receive(draft_for(desk))
    with caplog.at_level("ERROR", logger="printing.spool"):
        assert drain(desk) == [(False, True)]
    job = desk.print_jobs(d.uuid)[0]
    assert job.status == "uncertain"
    record = next(r for r in caplog.records if r.exc_info)
    assert "usb core exploded" in caplog.text and str(job.id) in record.getMessage()
    assert "Nguyễn" not in caplog.text and "001090012345" not in caplog.text


def test_claim_owners_are_judged_alive_only_while_their_worker_runs() -> None:
    """A 'sending' job is taken back only from a worker that is gone: retired in this
    process, a dead process, or a pid reused by another process since (reboot, crash)."""
    mine = worker_module._new_owner("t")
    assert worker_module.owner_alive(mine)
    worker_module._retire(mine)
    assert not worker_module.owner_alive(mine)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        started = worker_module._process_start(child.pid)
        assert started
        host = worker_module.HOST
        assert worker_module.owner_alive(f"{host}:{child.pid}:{started}:worker-quay")
        reused = f"{host}:{child.pid}:{int(started) - 1}:worker-quay"
        assert not worker_module.owner_alive(reused)
    finally:
        child.kill()
        child.wait(10)
    assert not worker_module.owner_alive(f"{worker_module.HOST}:{child.pid}:{started}:w")
    assert worker_module.owner_alive("another-pc:1:1:worker-quay")  # not ours to judge


def test_kiosk_worker_drains_only_its_ticket_printer(tmp_path: Path, clock: FrozenClock) -> None:
    """The kiosk's worker never touches the counter's receipt printer (dead here), and its
    tickets print at once."""
    dead = EmulatedPrinter("stall")
    tickets = EmulatedPrinter("ok")
    try:
        desk = desk_for(tmp_path, clock, net("ve", tickets), net("quay", dead))
        receipt = desk.receive(draft_for(desk))
        receipt_job = desk.print_jobs(receipt.uuid)[0].id
        desk.redirect_print(receipt_job, "quay")
        with desk.store.write() as db:
            ticket_job = spool.enqueue(
                db,
                kind="ticket",
                ref="A015",
                printer="ve",
                document=TicketData(
                    number="A015",
                    area_name="Tư pháp",
                    people_ahead=2,
                    centre="TT",
                    issued_at=parse_iso("2026-11-26T08:00:00+07:00"),
                ),
                now=desk.now(),
            )
        kiosk = SpoolWorker(desk.config, interval=0.05, now=clock, printers=("ve",))
        kiosk.start()
        try:
            deadline = time.monotonic() + 10
            while spool.get_job(desk.store, ticket_job).status != "sent":
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            kiosk.stop()
        assert spool.get_job(desk.store, receipt_job).status == "pending"
        assert dead.connections == 0 and len(tickets.jobs) == 1
    finally:
        dead.close()
        tickets.close()


def test_migration_keeps_waiting_jobs(tmp_path: Path) -> None:
    """A store from before the honest states (schema 6) keeps its jobs, still pending."""
    from counter.store import MIGRATIONS

    path = tmp_path / "old.db"
    old = Store(path, migrate=False)
    old.migrate(6)
    with old.write() as db:
        spool.enqueue(db, kind="testpage", ref="", printer="quay", document=PAGE, now=FROZEN_NOW)
    old.close()
    new = Store(path)
    assert new.version == len(MIGRATIONS)
    (job,) = spool.pending_jobs(new)
    assert job.status == "pending" and job.document == document_fields(PAGE)
    assert spool.claim(new, job.id, "here:1:1:w") and not spool.claim(new, job.id, "other")
    new.close()


def test_a_job_moved_or_cancelled_after_it_was_read_is_not_sent_to_the_old_printer(
    tmp_path: Path, clock: FrozenClock
) -> None:
    printer = EmulatedPrinter("ok")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer), net("du-phong", printer))
        d = desk.receive(draft_for(desk))
        (job,) = spool.due_jobs(desk.store, clock.now)
        desk.redirect_print(job.id, "du-phong")  # between reading the job and claiming it
        assert not spool.claim(desk.store, job.id, "w", "quay")
        assert spool.claim(desk.store, job.id, "w", "du-phong")
        assert spool.get_job(desk.store, job.id).status == "sending"
        assert desk.print_jobs(d.uuid)[0].printer == "du-phong"
    finally:
        printer.close()


def test_a_running_worker_takes_back_a_job_another_process_died_on(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """The kiosk crashes mid-ticket while the counter app runs: the app's worker turns the
    job uncertain within a round, without waiting for its own restart."""
    printer = EmulatedPrinter("ok")
    try:
        desk = desk_for(tmp_path, clock, net("quay", printer))
        worker = SpoolWorker(desk.config, interval=0.05, now=clock)
        worker.start()
        try:
            child = subprocess.Popen([sys.executable, "-c", "pass"])
            child.wait(10)
            gone = f"{worker_module.HOST}:{child.pid}::worker-ve"
            with desk.store.write() as db:  # what the kiosk's claim left behind, at once
                job_id = spool.enqueue(
                    db, kind="testpage", ref="", printer="quay", document=PAGE, now=clock.now
                )
                db.conn.execute(
                    "UPDATE print_jobs SET status = 'sending', claimed_by = ? WHERE id = ?",
                    (gone, job_id),
                )
            deadline = time.monotonic() + 10
            while spool.get_job(desk.store, job_id).status == "sending":
                assert time.monotonic() < deadline
                time.sleep(0.01)
        finally:
            worker.stop()
        job = spool.get_job(desk.store, job_id)
        assert job.status == "uncertain" and job.last_error == spool.INTERRUPTED_VI
        assert printer.connections == 0
    finally:
        printer.close()


OUTCOMES = ("ok", "down", "uncertain", "bug")
STEPS = ("drain", "drain", "later", "yes", "no", "new")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    outcomes=st.lists(st.sampled_from(OUTCOMES), min_size=1, max_size=30),
    steps=st.lists(st.sampled_from(STEPS), min_size=1, max_size=25),
)
def test_no_job_is_ever_printed_twice_without_an_officer_saying_so(
    tmp_path_factory: pytest.TempPathFactory, outcomes: list[str], steps: list[str]
) -> None:
    """The drill behind the emulator tests: whatever the printer does on each try (confirms,
    refuses, leaves it uncertain, a driver bug) and whatever the officer answers, a job is
    sent only while claimed, never while uncertain, is confirmed at most once per "did not
    print" answer, and never sent again after "it printed"."""
    tmp_path = tmp_path_factory.mktemp("drill")
    clock = FrozenClock()
    desk = desk_for(tmp_path, clock, {"name": "quay", "transport": "preview", "target": "p"})
    script = iter(outcomes)
    sends: dict[int, list[str]] = {}
    answers: dict[int, list[bool]] = {}

    class Scripted:
        def __init__(self, job_status: Callable[[int], str]) -> None:
            self.status = job_status

        def send(self, data: bytes, timeout: float = 10.0, *, job_id: str | None = None) -> None:
            number = int((job_id or "job-0").removeprefix("job-"))
            assert self.status(number) == "sending"  # claimed, never pending/uncertain
            outcome = next(script, "ok")
            sends.setdefault(number, []).append(outcome)
            if outcome == "down":
                raise PrinterUnavailable("tắt", "off")
            if outcome == "uncertain":
                raise DeliveryUncertain("không rõ", "unknown")
            if outcome == "bug":
                raise RuntimeError("driver bug")

    reader = Store(desk.config.db_path)
    transport = Scripted(lambda job: spool.get_job(reader, job).status)
    original = worker_module.open_transport
    worker_module.open_transport = lambda _printer: transport  # type: ignore[assignment]
    try:
        desk.receive(draft_for(desk))
        for step in steps:
            if step == "drain":
                drain_once(desk.store, desk.config, desk.now)
            elif step == "later":
                clock.now = clock.now + timedelta(minutes=10)
            elif step == "new":
                desk.receive(draft_for(desk))
            else:
                waiting = [j for j in spool.pending_jobs(desk.store) if j.status == "uncertain"]
                if waiting:
                    desk.answer_print(waiting[0].id, printed=step == "yes")
                    answers.setdefault(waiting[0].id, []).append(step == "yes")
        for job_id, tries in sends.items():
            said = answers.get(job_id, [])
            confirmed = tries.count("ok")
            assert confirmed <= 1 + said.count(False)
            if True in said:  # "it printed": nothing after that answer
                assert said.index(True) == len(said) - 1
                assert spool.get_job(desk.store, job_id).status == "sent"
            # Each uncertain (or driver-bug) try needed an answer before the next try.
            unsure = sum(1 for t in tries[:-1] if t in ("uncertain", "bug"))
            assert unsure <= said.count(False)
    finally:
        worker_module.open_transport = original
        reader.close()
        desk.close()
