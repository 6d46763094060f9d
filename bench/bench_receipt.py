"""Receipt benchmark: from a saved dossier to the bytes a printer receives (render + encode),
and from a save to the printer's confirmation over the network.

Baselines in the same run: python-escpos's plain image path (`Dummy().image(...)` of the same
rendered picture), the way most projects print a Pillow image; for delivery, the bytes' own
time on the wire at the printer's pace, and the healthy printer's job with no dead printer.

    python -m bench.bench_receipt [--runs 200] [--deliveries 3]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from escpos.printer import Dummy

from bench import pct
from bench.bench_intake import bench_config, fmt_ms
from counter.config import PrinterConfig
from counter.desk import Desk
from printing.render import render_job
from printing.spool_worker import build_documents


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--deliveries", type=int, default=5)
    args = parser.parse_args(argv)
    from tests.support.builders import CERTIFY, draft_for

    print("== receipts ==")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = bench_config(Path(tmp))
        desk = Desk.open(cfg)
        desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
        desk.login("canbo", "1234")
        dossier = desk.receive(draft_for(desk, CERTIFY))
        job = desk.print_jobs(dossier.uuid)[0]
        desk.close()
    for width in (576, 384):
        printer = PrinterConfig(paper_width_dots=width, profile="TM-T20II")
        doc = build_documents(job)[0]
        from printing import raster

        raster._glyph.cache_clear()
        raster._kern.cache_clear()
        t0 = time.perf_counter()
        render_job(doc, printer)
        cold = time.perf_counter() - t0
        times, sizes = [], []
        image = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            rendered = render_job(doc, printer)
            times.append(time.perf_counter() - t0)
            sizes.append(len(rendered.data))
            image = rendered.image
        assert image is not None
        base_times, base_sizes = [], []
        for _ in range(max(20, args.runs // 4)):
            t0 = time.perf_counter()
            p = Dummy(profile="TM-T20II")
            p.image(image)
            p.cut()
            data = p.output
            base_times.append(time.perf_counter() - t0)
            base_sizes.append(len(data))
        print(
            f"receipt {width} dots, save → bytes ready ({args.runs}×): {fmt_ms(times)}  "
            f"(target p95 ≤ 50 ms); {sizes[0] / 1024:.1f} KB (target ≤ 60 KB)"
        )
        print(f"  first receipt after start (empty glyph cache): {cold * 1000:.1f} ms")
        print(
            f"  baseline python-escpos image() of the same picture (encode only): "
            f"{fmt_ms(base_times)}, {base_sizes[0] / 1024:.1f} KB; time ratio p95 "
            f"{pct(times, 0.95) / pct(base_times, 0.95):.2f}×, size ratio "
            f"{sizes[0] / base_sizes[0]:.2f}×"
        )

    bench_delivery(args.deliveries)


def _network_desk(folder: Path, printers: list[dict[str, str]]) -> Desk:
    from counter.config import parse_config

    cfg = parse_config(
        {"counter": {"data_dir": str(folder), "demo_data": False}, "printer": printers},
        source=folder / "config.toml",
    )
    desk = Desk.open(cfg)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return desk


def _until_sent(desk: Desk, job_id: int, limit: float = 60.0) -> float:
    """Seconds until the spool marks `job_id` confirmed by the printer."""
    from counter import spool

    t0 = time.perf_counter()
    while spool.get_job(desk.store, job_id).status != "sent":
        if time.perf_counter() - t0 > limit:
            raise RuntimeError(f"job {job_id} not confirmed after {limit:g} s")
        time.sleep(0.005)
    return time.perf_counter() - t0


def bench_delivery(runs: int) -> None:
    """Save → confirmed on an emulated printer reading at 20 KB/s (a thermal printer's pace),
    against the bytes' own time on the wire; and a healthy printer's job while 20 jobs wait on
    a dead printer (accepts, never reads), against the same job with no dead printer."""
    from printing.spool_worker import SpoolWorker
    from tests.support.builders import draft_for
    from tests.support.printer_emulator import EmulatedPrinter

    rate = 20_000
    slow = EmulatedPrinter("ok", rate=rate)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            desk = _network_desk(
                Path(tmp), [{"name": "quay", "transport": "network", "target": slow.target}]
            )
            worker = SpoolWorker(desk.config, interval=0.05)
            worker.start()
            totals, floors, sizes = [], [], []
            for _ in range(runs):
                t0 = time.perf_counter()
                dossier = desk.receive(draft_for(desk))
                worker.wake()
                job = desk.print_jobs(dossier.uuid)[0]
                _until_sent(desk, job.id)
                totals.append(time.perf_counter() - t0)
                size = len(slow.jobs[-1])
                sizes.append(size)
                floors.append(size / rate)
            worker.stop()
            desk.close()
    finally:
        slow.close()
    print(
        f"save → confirmed by a printer reading {rate // 1000} KB/s ({runs}×): "
        f"{fmt_ms(totals)}; {sizes[0] / 1024:.1f} KB a receipt"
    )
    print(
        f"  baseline: the bytes' own time on the wire at that pace {fmt_ms(floors)}; "
        f"ratio p50 {pct(totals, 0.5) / pct(floors, 0.5):.2f}×"
    )

    def healthy_delay(dead_jobs: int) -> tuple[list[float], int]:
        dead = EmulatedPrinter("stall")
        good = EmulatedPrinter("ok")
        try:
            with tempfile.TemporaryDirectory() as tmp:
                desk = _network_desk(
                    Path(tmp),
                    [
                        {"name": "tot", "transport": "network", "target": good.target},
                        {"name": "chet", "transport": "network", "target": dead.target},
                    ],
                )
                for _ in range(dead_jobs):
                    stuck = desk.receive(draft_for(desk))
                    desk.redirect_print(desk.print_jobs(stuck.uuid)[0].id, "chet")
                worker = SpoolWorker(desk.config, interval=0.05)
                worker.start()
                time.sleep(0.2)  # the dead printer's worker is now stuck on its first job
                delays = []
                for _ in range(max(runs, 20)):  # fast: enough runs for a steady p50
                    t0 = time.perf_counter()
                    dossier = desk.receive(draft_for(desk))
                    worker.wake()
                    _until_sent(desk, desk.print_jobs(dossier.uuid)[0].id)
                    delays.append(time.perf_counter() - t0)
                attempted = dead.connections
                worker.stop(timeout=0.5)
                desk.close()
        finally:
            dead.close()
            good.close()
        return delays, attempted

    alone, _ = healthy_delay(0)
    beside, attempted = healthy_delay(20)
    print(
        f"healthy printer's job while 20 jobs wait on a dead printer ({len(beside)}×): "
        f"{fmt_ms(beside)} (target: none beyond its own printing); the dead printer was "
        f"tried {attempted}× meanwhile"
    )
    print(
        f"  baseline: the same job with no dead printer {fmt_ms(alone)}; "
        f"ratio p50 {pct(beside, 0.5) / pct(alone, 0.5):.2f}×"
    )


if __name__ == "__main__":
    main()
