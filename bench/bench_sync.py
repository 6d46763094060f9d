"""Benchmark: drain an outbox backlog to a real portal on loopback.

    .venv/bin/python -m bench.bench_sync            # 100 000 entries, then 50 counters × 2 000
    .venv/bin/python -m bench.bench_sync --quick    # 10 000 entries, 10 counters × 500

Then (issue #13) the time from `counter restore` to a converged portal for the 100 000-dossier
store of the first drain, and the entries per second drained through a proxy that loses 30 %
of the portal's answers, with the clean drain of the same entries as the baseline.

Prints entries per second and the peak memory (VmHWM) of the portal process and of the
counter process, for one counter with a big backlog and for many counters at once; then two
baselines measured in the same run on the same payloads: raw SQLite inserts (the storage
floor) and raw httpx POSTs of the same request bodies to a trivial ASGI endpoint served by
the same uvicorn (the HTTP floor), with the ratio of sync to each.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from tests.support.servers import ROOT, die_with_parent, free_port, start_server

AGENCY = "000.00.12.H26"
TARGET_RATE = 2000
TARGET_MB = 200


def _peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _template(folder: Path) -> dict:
    """One real outbox payload, written by a real Desk, to clone."""
    from counter.config import parse_config
    from counter.desk import Desk
    from counter.dossiers import Applicant, DossierDraft, documents_from_procedure

    config = parse_config(
        {"counter": {"data_dir": str(folder), "number": 1, "demo_data": False}},
        source=folder / "config.toml",
    )
    desk = Desk.open(config)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    procedure = desk.catalogue.get("1.004194")
    desk.receive(
        DossierDraft(
            procedure_code=procedure.code,
            applicant=Applicant(
                name="Nguyễn Văn Đức",
                id_number="001090012345",
                phone="0912345678",
                address="Số 5 Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
            ),
            documents=documents_from_procedure(procedure),
            delivery=procedure.delivery[0],
        )
    )
    payload = json.loads(desk.store.conn.execute("SELECT payload FROM outbox").fetchone()[0])
    desk.close()
    return dict(payload)


def _payloads(template: dict, device_id: str, counter_no: int, n: int) -> list[str]:
    out = []
    day0 = date(2026, 1, 5)
    for i in range(n):
        p = json.loads(json.dumps(template))
        d = uuid.uuid4()
        day = day0 + timedelta(days=i // 9000)
        code = f"{AGENCY}-{day:%y%m%d}-{counter_no:02d}{i % 9000 + 1:04d}"
        p["device_id"] = device_id
        p["dossier_uuid"] = str(d)
        p["event"]["id"] = i + 1
        p["dossier"].update(uuid=str(d), code=code, counter_no=counter_no, device_id=device_id)
        out.append(json.dumps(p, ensure_ascii=False, sort_keys=True))
    return out


def _make_counter(folder: Path, number: int, n: int, template: dict, url: str, code: str) -> Path:
    """A counter store whose outbox holds `n` entries, enrolled-to-be with `code`."""
    from counter.config import parse_config
    from counter.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.toml").write_text(
        f'[counter]\ndata_dir = "{folder}"\nnumber = {number}\ndemo_data = false\n'
        f'[portal]\nurl = "{url}"\nenrollment_code = "{code}"\ntimeout_seconds = 60\n',
        encoding="utf-8",
    )
    config = parse_config(
        {"counter": {"data_dir": str(folder), "number": number}}, source=folder / "config.toml"
    )
    store = Store(config.db_path)
    device_id = str(uuid.uuid4())
    store.set_setting("device_id", device_id)
    rows = [
        ("dossier.event", 1, p, "2026-01-05T09:00:00+07:00")
        for p in _payloads(template, device_id, number, n)
    ]
    with store.write():
        store.conn.executemany(
            "INSERT INTO outbox(kind, schema_version, payload, created_at) VALUES (?, ?, ?, ?)",
            rows,
        )
    store.close()
    return folder / "config.toml"


_DRAIN = r"""
import sys, time, json
from concurrent.futures import ThreadPoolExecutor
from counter.config import load_config
from counter.sync import sync_once
configs = [load_config(p) for p in sys.argv[1:]]
t0 = time.perf_counter()
def run(c):
    r = sync_once(c.db_path, c)
    assert r.ok and r.pending == 0, r.text()
    return r.applied
with ThreadPoolExecutor(max_workers=len(configs)) as pool:
    applied = sum(pool.map(run, configs))
elapsed = time.perf_counter() - t0
peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps({"applied": applied, "seconds": elapsed, "peak_kb": int(peak)}))
"""


def _portal(db: Path, port: int) -> subprocess.Popen[bytes]:
    return start_server(
        [sys.executable, "-m", "portal", "--db", str(db), "serve", "--port", str(port)],
        ready=[f"http://127.0.0.1:{port}/api/v1/health"], what="the portal", stderr=None,
    )  # fmt: skip


def drain(work: Path, template: dict, counters: int, per_counter: int) -> dict:
    """Start a portal, fill `counters` stores, drain them all at once in one process."""
    from portal.storage import SQLiteStorage

    db = work / "portal.db"
    storage = SQLiteStorage(db)
    codes = [storage.create_enrollment_code(AGENCY, n) for n in range(1, counters + 1)]
    storage.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cfgs = [
        _make_counter(work / f"c{n:02d}", n, per_counter, template, url, codes[n - 1])
        for n in range(1, counters + 1)
    ]
    proc = _portal(db, port)
    try:
        out = subprocess.run(
            [sys.executable, "-c", _DRAIN, *map(str, cfgs)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        result["portal_mb"] = _peak_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    check = sqlite3.connect(db)
    result["portal_entries"] = check.execute("SELECT count(*) FROM ingest").fetchone()[0]
    result["portal_dossiers"] = check.execute("SELECT count(*) FROM dossiers").fetchone()[0]
    check.close()
    result["rate"] = result["applied"] / result["seconds"]
    return result


_ECHO_APP = r"""
import sys, uvicorn
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    more = True
    while more:
        msg = await receive()
        more = msg.get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok":true}'})
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


def baseline_http(payloads: list[str], batch: int = 500) -> float:
    """Entries/s for raw httpx POSTs of the same bodies to a trivial endpoint (HTTP floor)."""
    import httpx

    port = free_port()
    proc = start_server(
        [sys.executable, "-c", _ECHO_APP, str(port)],
        ready=[f"http://127.0.0.1:{port}/"], what="the echo endpoint", stderr=None,
    )  # fmt: skip
    try:
        bodies = []
        for i in range(0, len(payloads), batch):
            parts = [
                f'{{"seq":{i + j + 1},"kind":"dossier.event","schema_version":1,'
                f'"created_at":"2026-01-05T09:00:00+07:00","payload":{p}}}'
                for j, p in enumerate(payloads[i : i + batch])
            ]
            bodies.append(f'{{"after_seq":{i},"entries":[{",".join(parts)}]}}'.encode())
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            t0 = time.perf_counter()
            for body in bodies:
                client.post("/push", content=body, headers={"content-type": "application/json"})
            return len(payloads) / (time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(10)


def baseline_sqlite(work: Path, payloads: list[str], batch: int = 500) -> float:
    """Entries/s for raw inserts of the same payloads, one durable commit per batch."""
    conn = sqlite3.connect(work / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE raw (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
    t0 = time.perf_counter()
    for i in range(0, len(payloads), batch):
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO raw(seq, payload) VALUES (?, ?)",
            [(i + j + 1, p) for j, p in enumerate(payloads[i : i + batch])],
        )
        conn.execute("COMMIT")
    rate = len(payloads) / (time.perf_counter() - t0)
    conn.close()
    return rate


def _add_entries(
    config_path: Path, template: dict, n: int, first_event: int, first_code: int
) -> None:
    """`n` more dossiers' entries in a counter store, as the desk would append them."""
    from counter.config import load_config
    from counter.store import Store

    config = load_config(config_path)
    store = Store(config.db_path)
    device_id = store.get_setting("device_id") or ""
    payloads = _payloads(template, device_id, config.counter.number, n)
    rows = []
    for i, text in enumerate(payloads):
        p = json.loads(text)
        p["event"]["id"] = first_event + i
        p["dossier"]["code"] = p["dossier"]["code"][:-4] + f"{first_code + i:04d}"
        rows.append(("dossier.event", 1, json.dumps(p, ensure_ascii=False, sort_keys=True), ""))
    with store.write():
        store.conn.executemany(
            "INSERT INTO outbox(kind, schema_version, payload, created_at) VALUES (?, ?, ?, ?)",
            rows,
        )
    store.close()


def _sync_until_clean(
    config_path: Path, rounds: int = 1000, max_batch: int | None = None
) -> tuple[int, int]:
    """Sync rounds until nothing is pending; (rounds, failed rounds)."""
    from counter.config import load_config
    from counter.sync import sync_once

    config = load_config(config_path)
    failed = 0
    for i in range(1, rounds + 1):
        report = sync_once(config.db_path, config, max_batch=max_batch)
        failed += report.error is not None
        if report.pending == 0 and report.error is None:
            return i, failed
    raise RuntimeError("did not converge")


def restore_drill(work: Path, template: dict, entries: int) -> dict:
    """Time from `counter restore` to a converged portal, for the store of `one`'s drain
    (`entries` dossiers, all synced): back up, 50 more dossiers synced, restore the backup,
    5 new dossiers, sync. Counted: the restore (copy, checks, online rebase) and the sync."""
    from counter.backup import make_backup, restore_store
    from counter.config import load_config

    cfg_path = work / "c01" / "config.toml"
    port = int(cfg_path.read_text().split("127.0.0.1:")[1].split('"')[0])
    proc = _portal(work / "portal.db", port)
    try:
        config = load_config(cfg_path)
        t0 = time.perf_counter()
        backup = make_backup(config)
        backup_seconds = time.perf_counter() - t0
        _add_entries(cfg_path, template, 50, entries + 1, 9001)
        _sync_until_clean(cfg_path)
        t0 = time.perf_counter()
        report = restore_store(config, backup)
        restored = time.perf_counter() - t0
        # New dossiers. The desk would number their codes and events past the lost ones
        # (the rebase); these entries are written raw, so they are given other numbers here.
        _add_entries(cfg_path, template, 5, entries + 1001, 9101)
        rounds, _failed = _sync_until_clean(cfg_path)
        total = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(10)
    check = sqlite3.connect(work / "portal.db")
    dossiers = check.execute("SELECT count(*) FROM dossiers").fetchone()[0]
    rejected = check.execute("SELECT count(*) FROM ingest WHERE status = 'rejected'").fetchone()[0]
    check.close()
    return {
        "backup_seconds": backup_seconds,
        "restore_seconds": restored,
        "converged_seconds": total,
        "rounds": rounds,
        "online": report.rebased_online,
        "portal_dossiers": dossiers,
        "rejected": rejected,
        "size_mb": backup.stat().st_size / 1e6,
    }


def lossy_drain(work: Path, template: dict, entries: int, drop: float) -> dict:
    """Entries/s drained by sync rounds (no backoff waits) through a proxy that loses
    `drop` of the portal's answers after the portal applied the request."""
    from portal.storage import SQLiteStorage

    db = work / "portal.db"
    storage = SQLiteStorage(db)
    code = storage.create_enrollment_code(AGENCY, 1)
    storage.close()
    port, proxy_port = free_port(), free_port()
    url = f"http://127.0.0.1:{proxy_port if drop else port}"
    cfg = _make_counter(work / "c01", 1, entries, template, url, code)
    proc = _portal(db, port)
    proxy = None
    if drop:
        # The sync tests' fault proxy, losing only answers, in its own process.
        proxy = subprocess.Popen(
            [
                *(sys.executable, "-m", "tests.support.fault_proxy"),
                *("--upstream", str(port), "--port", str(proxy_port), "--seed", "13"),
                f"lost_answer={drop}",
            ],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            preexec_fn=die_with_parent(),
        )
        assert proxy.stdout is not None and proxy.stdout.readline().startswith(b"ready")
    try:
        # 100 entries a batch: many round trips, so the lost answers matter.
        t0 = time.perf_counter()
        rounds, failed = _sync_until_clean(cfg, rounds=100_000, max_batch=100)
        seconds = time.perf_counter() - t0
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        proc.terminate()
        proc.wait(10)
    check = sqlite3.connect(db)
    applied = check.execute("SELECT count(*) FROM ingest WHERE status = 'applied'").fetchone()[0]
    check.close()
    return {
        "rate": entries / seconds,
        "seconds": seconds,
        "rounds": rounds,
        "failed": failed,
        "applied": applied,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--counters", type=int, default=50)
    ap.add_argument("--per-counter", type=int, default=2_000)
    ap.add_argument("--lossy-entries", type=int, default=20_000)
    ap.add_argument("--quick", action="store_true", help="10 000 entries, 10 × 500")
    args = ap.parse_args(argv)
    if args.quick:
        args.entries, args.counters, args.per_counter = 10_000, 10, 500
        args.lossy_entries = 5_000
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as tmp:
        work = Path(tmp)
        template = _template(work / "template")
        print(f"payload: {len(json.dumps(template, ensure_ascii=False).encode())} bytes per entry")

        one = drain(work / "one", template, 1, args.entries)
        print(
            f"1 counter, {one['applied']:,} entries: {one['seconds']:.1f} s, "
            f"{one['rate']:,.0f} entries/s (target ≥ {TARGET_RATE:,}); "
            f"RSS peak counter {one['peak_kb'] / 1024:.0f} MB, portal {one['portal_mb']:.0f} MB "
            f"(target ≤ {TARGET_MB} MB each); portal holds {one['portal_entries']:,} entries, "
            f"{one['portal_dossiers']:,} dossiers"
        )
        many = drain(work / "many", template, args.counters, args.per_counter)
        print(
            f"{args.counters} counters × {args.per_counter:,} at once: {many['seconds']:.1f} s, "
            f"{many['rate']:,.0f} entries/s; RSS peak counters' process "
            f"{many['peak_kb'] / 1024:.0f} MB, portal {many['portal_mb']:.0f} MB; "
            f"portal holds {many['portal_entries']:,} entries, "
            f"{many['portal_dossiers']:,} dossiers"
        )
        payloads = _payloads(template, str(uuid.uuid4()), 1, args.entries)
        raw_sql = baseline_sqlite(work, payloads)
        raw_http = baseline_http(payloads)
        print(f"baseline raw SQLite inserts (batches of 500, synchronous=FULL): {raw_sql:,.0f}/s")
        print(
            f"baseline raw httpx POST of the same bodies to a trivial ASGI app: {raw_http:,.0f}/s"
        )
        print(
            f"sync / SQLite floor = {one['rate'] / raw_sql:.2f}; "
            f"sync / HTTP floor = {one['rate'] / raw_http:.2f}"
        )
        ok = (
            one["rate"] >= TARGET_RATE
            and max(one["peak_kb"] / 1024, one["portal_mb"]) <= TARGET_MB
            and many["portal_entries"] == args.counters * args.per_counter
        )
        print("targets met" if ok else "TARGETS MISSED")

        drill = restore_drill(work / "one", template, args.entries)
        print(
            f"counter restore of a {args.entries:,}-dossier store ({drill['size_mb']:.0f} MB): "
            f"backup {drill['backup_seconds']:.1f} s; restore → converged portal "
            f"{drill['converged_seconds']:.1f} s (restore + rebase "
            f"{'online' if drill['online'] else 'OFFLINE'} {drill['restore_seconds']:.1f} s, "
            f"{drill['rounds']} sync round(s)); portal holds {drill['portal_dossiers']:,} "
            f"dossiers, {drill['rejected']} rejected"
        )
        clean = lossy_drain(work / "clean", template, args.lossy_entries, 0.0)
        lossy = lossy_drain(work / "lossy", template, args.lossy_entries, 0.3)
        print(
            f"drain of {args.lossy_entries:,} entries, batches of 100: clean "
            f"{clean['rate']:,.0f} entries/s (baseline, {clean['rounds']} round); through a "
            f"proxy losing 30 % of answers {lossy['rate']:,.0f} entries/s "
            f"({lossy['rounds']} rounds, {lossy['failed']} cut short); ratio "
            f"{lossy['rate'] / clean['rate']:.2f}; applied once each: "
            f"{lossy['applied'] == args.lossy_entries}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
