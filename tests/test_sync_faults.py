"""Sync under faults: a fault-injecting HTTP proxy, a portal killed mid-batch, a counter killed
mid-push, a skewed clock, and fifty counters reconnecting at once.

After healing, the portal must hold exactly each counter's dossiers and events: none lost,
none twice (`assert_converged`), and every central change applied or refused exactly once.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest

from counter.sync import sync_once, sync_status
from portal import admin
from portal.server import ThreadedPortal
from portal.storage import SQLiteStorage, StorageError
from tests.support.clock import FROZEN_NOW, FrozenClock
from tests.support.fault_proxy import FaultProxy
from tests.support.sync import (
    AGENCY,
    ROOT,
    Counter,
    PortalProcess,
    assert_converged,
    make_counter,
    receive_some,
)

SEEDS = [int(s) for s in os.environ.get("SYNC_FAULT_SEEDS", "1,2,3,4,5,6,7,8,9,10").split(",")]


def _sync_until_clean(counter: Counter, *, rounds: int = 20) -> None:
    for _ in range(rounds):
        report = sync_once(counter.store, counter.config)
        if report.ok and report.pending == 0 and report.pulled == 0 and report.pushed == 0:
            return
    raise AssertionError(f"did not converge: {report.text()}")


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[ThreadedPortal]:
    with ThreadedPortal(tmp_path / "portal" / "portal.db") as p:
        yield p


@pytest.mark.parametrize("seed", SEEDS)
def test_faulty_network_loses_and_doubles_nothing(
    tmp_path: Path, portal: ThreadedPortal, seed: int
) -> None:
    rng = random.Random(seed)
    proxy = FaultProxy(portal.port, seed, late_seconds=1.3)
    try:
        code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
        c = make_counter(tmp_path, 3, proxy.url, code, timeout=1.0)
        changes: list[int] = []
        for _ in range(10):
            receive_some(c, rng.randint(1, 4))
            synced = portal.storage.query(
                "SELECT uuid FROM dossiers WHERE status = 'received' ORDER BY uuid"
            )
            if synced and rng.random() < 0.6:
                target = rng.choice(synced)[0]
                try:
                    ch = admin.set_dossier_status(portal.storage, target, "processing", by="bo")
                    changes.append(ch.id)
                except StorageError:
                    pass
            if rng.random() < 0.3:  # the officer moves a dossier too (may race the portal)
                local = c.store.conn.execute(
                    "SELECT uuid FROM dossiers WHERE status = 'processing' LIMIT 1"
                ).fetchone()
                if local:
                    c.desk.act(local[0], "result_ready")
            sync_once(c.store, c.config, max_batch=rng.choice([1, 2, 3, 5, 8]))
        proxy.settle()
        _sync_until_clean(c)
        assert_converged(portal.storage, c.store)
        # Every central change reached the counter once, and the portal knows its outcome.
        pulled = [r[0] for r in c.store.conn.execute("SELECT change_id FROM pulled_changes")]
        assert sorted(pulled) == sorted(changes)
        for change_id in changes:
            outcome = portal.storage.change(change_id)
            assert outcome is not None and outcome["outcome"] in ("applied", "refused")
        echoed = [
            json.loads(r[0])["change_id"]
            for r in c.store.conn.execute(
                "SELECT details FROM dossier_events WHERE action = 'portal.status'"
            )
        ]
        assert len(echoed) == len(set(echoed)), "a central change was applied twice"
        for change_id in echoed:
            assert portal.storage.change(change_id)["outcome"] == "applied"  # type: ignore[index]
        assert sum(proxy.counts.values()) > 0, "the proxy injected no fault"
    finally:
        proxy.close()


def test_portal_killed_mid_batch_and_restarted(tmp_path: Path) -> None:
    proc = PortalProcess(tmp_path / "portal" / "portal.db")
    (tmp_path / "portal").mkdir()
    proc.start()
    try:
        code = proc.admin("enroll-code", AGENCY, "3")
        c = make_counter(tmp_path, 3, proc.url, code, timeout=2.0)
        receive_some(c, 600)  # 900 entries
        rng = random.Random(20261126)
        kills = 0
        left: list[int] = []
        for _ in range(4):
            worker = threading.Thread(
                target=sync_once, args=(c.config.db_path, c.config), kwargs={"max_batch": 10}
            )
            start = _portal_last_seq(proc.db)
            worker.start()
            # Kill the portal once it has taken a random number of entries: mid-backlog.
            threshold = start + rng.randint(15, 150)
            deadline = time.monotonic() + 20
            while _portal_last_seq(proc.db) < threshold and time.monotonic() < deadline:
                time.sleep(0.002)
            proc.kill()
            kills += 1
            worker.join(30)
            left.append(sync_status(c.store, c.config).pending)
            proc.start()
            receive_some(c, 20)
        _sync_until_clean(c)
        # Back-office change through the admin command, pulled after all the restarts.
        some = c.store.conn.execute(
            "SELECT code, uuid FROM dossiers WHERE status = 'received' LIMIT 1"
        ).fetchone()
        proc.admin("set-status", some[0], "processing", "--by", "Phòng Tư pháp")
        _sync_until_clean(c)
        assert c.desk.get(some[1]).status == "processing"
        proc.stop()
        storage = SQLiteStorage(tmp_path / "portal" / "portal.db")
        try:
            assert_converged(storage, c.store)
        finally:
            storage.close()
        assert kills == 4
        assert any(0 < n < 900 for n in left), f"no kill landed mid-batch: {left}"
    finally:
        proc.kill()


def _portal_last_seq(db: Path) -> int:
    import sqlite3

    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("SELECT max(last_seq) FROM devices").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


_CHILD = """
import sys
from counter.config import load_config
from counter.sync import sync_once
config = load_config(sys.argv[1])
print("ready", flush=True)
while True:
    r = sync_once(config.db_path, config, max_batch=25)
    print(r.pushed, flush=True)
    if r.pending == 0:
        break
"""


def test_counter_killed_mid_push(tmp_path: Path, portal: ThreadedPortal) -> None:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = make_counter(tmp_path, 3, portal.url, code)
    receive_some(c, 800)  # 1 200 entries
    cfg = tmp_path / "counter.toml"
    cfg.write_text(
        f'[counter]\ndata_dir = "{c.config.data_dir}"\nnumber = 3\ndemo_data = false\n'
        f'[portal]\nurl = "{portal.url}"\nenrollment_code = "{code}"\n',
        encoding="utf-8",
    )
    rng = random.Random(7)
    left: list[int] = []
    for _ in range(5):
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(cfg)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # Wait until the child's first batch is acknowledged, whatever the machine's load,
        # then kill at a random moment in the batches that follow: mid-push by construction.
        before = sync_status(c.store, c.config).pending
        deadline = time.monotonic() + 60
        while sync_status(c.store, c.config).pending >= before and child.poll() is None:
            assert time.monotonic() < deadline, "the child never pushed"
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.05))
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=10)
        left.append(sync_status(c.store, c.config).pending)
        receive_some(c, 10)
    assert any(0 < n < 1200 for n in left), f"no kill landed mid-push: {left}"
    _sync_until_clean(c)
    assert_converged(portal.storage, c.store)


def test_skewed_counter_clocks(tmp_path: Path, portal: ThreadedPortal) -> None:
    """A counter three days ahead and one a year behind: order is by sequence, not by time."""
    ahead = make_counter(
        tmp_path,
        3,
        portal.url,
        admin.create_enrollment_code(portal.storage, AGENCY, 3),
        clock=FrozenClock(FROZEN_NOW + timedelta(days=3)),
    )
    behind_clock = FrozenClock(FROZEN_NOW - timedelta(days=365))
    behind = make_counter(
        tmp_path,
        4,
        portal.url,
        admin.create_enrollment_code(portal.storage, AGENCY, 4),
        clock=behind_clock,
    )
    for c in (ahead, behind):
        receive_some(c, 5)
    for c, clock in ((ahead, ahead.desk.clock), (behind, behind_clock)):
        report = sync_once(c.store, c.config, clock=clock)
        assert report.ok, report.text()
        assert_converged(portal.storage, c.store)
    # The back office acts "before" the counter's own events by the counter's clock.
    uuid = behind.store.conn.execute(
        "SELECT uuid FROM dossiers WHERE status = 'processing' LIMIT 1"
    ).fetchone()[0]
    admin.set_dossier_status(portal.storage, uuid, "result_ready", by="bo")
    assert sync_once(behind.store, behind.config, clock=behind_clock).ok
    assert behind.desk.get(uuid).status == "result_ready"
    assert sync_once(behind.store, behind.config, clock=behind_clock).ok
    assert_converged(portal.storage, behind.store)
    skew = sync_status(behind.store, behind.config).clock_skew_seconds
    assert skew is not None and skew < -300 * 86400  # shown, so IT can fix the clock


def test_fifty_counters_reconnect_at_once(tmp_path: Path, portal: ThreadedPortal) -> None:
    n_counters = int(os.environ.get("SYNC_COUNTERS", "50"))
    per_counter = int(os.environ.get("SYNC_DOSSIERS", "40"))
    counters = []
    for number in range(1, n_counters + 1):
        code = admin.create_enrollment_code(portal.storage, AGENCY, number)
        c = make_counter(tmp_path, number, portal.url, code)
        receive_some(c, per_counter)  # offline: all of it waits in the outbox
        counters.append(c)
    configs = [(c.config.db_path, c.config) for c in counters]
    with ThreadPoolExecutor(max_workers=n_counters) as pool:
        reports = list(pool.map(lambda a: sync_once(a[0], a[1], max_batch=50), configs))
    for report in reports:
        assert report.ok and report.pending == 0, report.text()
    for c in counters:
        assert_converged(portal.storage, c.store)
    total = portal.storage.query("SELECT count(*) FROM dossiers")[0][0]
    assert total == n_counters * per_counter
    assert len({r[0] for r in portal.storage.query("SELECT code FROM dossiers")}) == total
    for c in counters:
        c.desk.close()
