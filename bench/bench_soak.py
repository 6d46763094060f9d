"""A counter left running all week: memory and CPU of dossiers typed into the app, and the
data folder after a year with the retention cleanup. Each figure has a baseline measured in
the same run; nothing is asserted (these machines are shared and noisy).

    python -m bench.bench_soak [--dossiers 500] [--days 365]

- Memory: RSS of the real app (headless, Pilot types every key of an intake: F2, the
  procedure, name, ID number, phone, ctrl+s, back to the list) after 50 and after N dossiers.
  Baseline: the growth of a bare Textual form of the same fields over the same dossiers.
- CPU: process CPU seconds per dossier typed, the app against the bare form.
- Disk: the data folder after `--days` days at 100 dossiers a day (receipts printed to the
  preview printer, entries acknowledged by the portal each evening), with the cleanup run
  daily as the app's worker does, against the same year without it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _typing(form: str, n: int, warm: int) -> tuple[float, float, float]:
    """`bench/soak_typing.py` for the real app or the bare form, in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [sys.executable, "-m", "bench.soak_typing", form, tmp, str(n), str(warm)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-800:])
    warm_mb, end_mb, cpu = (float(x) for x in done.stdout.split()[-3:])
    return warm_mb, end_mb, cpu


def bench_typing(n: int, warm: int = 50) -> None:
    app_warm, app_end, app_cpu = _typing("app", n, warm)
    bare_warm, bare_end, bare_cpu = _typing("bare", n, warm)
    per100 = (app_end - app_warm) / (n - warm) * 100
    bare_per100 = (bare_end - bare_warm) / (n - warm) * 100
    print(
        f"app RSS after {warm} dossiers {app_warm:.0f} MB, after {n}: {app_end:.0f} MB; "
        f"growth {per100:+.2f} MB per 100 dossiers  (target ≤ 5)"
    )
    print(f"  baseline bare form, same keys: growth {bare_per100:+.2f} MB per 100")
    print(
        f"CPU per dossier typed: app {app_cpu:.3f} s, bare form {bare_cpu:.3f} s; "
        f"ratio {app_cpu / bare_cpu:.1f}×"
    )


def _year(
    folder: Path, days: int, per_day: int, *, cleanup: bool, preview: tuple[bytes, bytes]
) -> tuple[int, int, int]:
    """Simulate the year; return (data folder bytes, store bytes, preview bytes)."""
    import os
    from datetime import timedelta

    from counter import retention
    from counter.desk import Desk
    from counter.timeutil import iso
    from tests.support.builders import draft_for
    from tests.support.clock import FROZEN_NOW, FrozenClock
    from tests.support.config import make_config

    config = make_config(folder)
    clock = FrozenClock(FROZEN_NOW - timedelta(days=days))
    desk = Desk.open(config, clock=clock)
    # Durability is not what is measured here: without fsync the year takes minutes.
    desk.store.conn.execute("PRAGMA synchronous = OFF")
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    receipts = Path(config.printers[0].target)
    receipts.mkdir(parents=True, exist_ok=True)
    png, raw = preview
    for day in range(days):
        clock.now = FROZEN_NOW - timedelta(days=days - day)
        for _ in range(per_day):
            desk.receive(draft_for(desk))
        when = clock.now.timestamp()
        with desk.store.write():
            jobs = desk.store.conn.execute(
                "SELECT id FROM print_jobs WHERE status = 'pending'"
            ).fetchall()
            desk.store.conn.execute(
                "UPDATE print_jobs SET status = 'sent', sent_at = ? WHERE status = 'pending'",
                (iso(clock.now),),
            )
            desk.store.conn.execute(
                "UPDATE outbox SET acked_at = ? WHERE acked_at IS NULL", (iso(clock.now),)
            )
        for (job,) in jobs:  # what the preview printer writes for each job
            for suffix, data in ((".png", png), (".bin", raw)):
                path = receipts / f"{job}{suffix}"
                path.write_bytes(data)
                os.utime(path, (when, when))
        if cleanup:
            retention.clean(desk.store, config, clock.now)
    desk.store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    desk.close()
    total = retention.folder_size(folder)
    store = retention.folder_size(folder / "data")
    return total, store, retention.folder_size(receipts)


def _one_real_preview() -> tuple[bytes, bytes]:
    """The files the preview printer writes for one real receipt (PNG and raw bytes)."""
    from counter.desk import Desk
    from counter.store import Store
    from printing.spool_worker import drain_once
    from tests.support.builders import draft_for
    from tests.support.config import make_config

    with tempfile.TemporaryDirectory() as tmp:
        config = make_config(Path(tmp))
        desk = Desk.open(config)
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        desk.login("canbo", "1234")
        desk.receive(draft_for(desk))
        desk.close()
        store = Store(config.db_path)
        drain_once(store, config)
        store.close()
        folder = Path(config.printers[0].target)
        png = next(folder.glob("*.png")).read_bytes()
        raw = next(folder.glob("*.bin")).read_bytes()
    return png, raw


def bench_disk(days: int, per_day: int = 100) -> None:
    preview = _one_real_preview()
    with tempfile.TemporaryDirectory() as tmp:
        on = _year(Path(tmp) / "on", days, per_day, cleanup=True, preview=preview)
        off = _year(Path(tmp) / "off", days, per_day, cleanup=False, preview=preview)
        shutil.rmtree(tmp, ignore_errors=True)
    mb = 2**20
    print(
        f"data folder after {days} days at {per_day} dossiers a day, retention on: "
        f"{on[0] / mb:.0f} MB (store {on[1] / mb:.0f} MB, previews {on[2] / mb:.0f} MB)"
    )
    print(
        f"  baseline without cleanup: {off[0] / mb:.0f} MB (store {off[1] / mb:.0f} MB, "
        f"previews {off[2] / mb:.0f} MB); ratio {on[0] / off[0]:.2f}×"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    args = parser.parse_args(argv)
    print("== soak ==")
    bench_typing(args.dossiers)
    bench_disk(args.days)


if __name__ == "__main__":
    main()
