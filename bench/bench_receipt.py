"""Receipt benchmark: from a saved dossier to the bytes a printer receives (render + encode).

Baseline in the same run: python-escpos's plain image path (`Dummy().image(...)` of the same
rendered picture), the way most projects print a Pillow image.

    python -m bench.bench_receipt [--runs 200]
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
    args = parser.parse_args(argv)
    from tests.helpers import CERTIFY, draft_for

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


if __name__ == "__main__":
    main()
