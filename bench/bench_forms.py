"""Printed forms: what the strict read-back of a spooled document and the table-driven layout
cost, beside the rest of printing the same job.

Baselines in the same run: `json.loads` of the stored fields (what reading a job costs anyway)
for the strict `document_from_fields`, and the whole raster render of the document at 576 dots
(`render_job`) for the layout.

    python -m bench.bench_forms [--runs 300]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from functools import partial

from bench import pct
from counter.config import PrinterConfig
from counter.documents import document_from_fields
from printing.layout import layout
from printing.render import render_job
from tests.golden.spooled_forms import SPOOLED


def timed(runs: int, work: Callable[[], object]) -> float:
    """The median seconds of one call of `work`."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return pct(times, 0.5)


def read_back(kind: str, stored: str) -> object:
    return document_from_fields(kind, json.loads(stored))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    args = parser.parse_args(argv)
    printer = PrinterConfig(paper_width_dots=576)
    print("== printed forms (median of", args.runs, "runs) ==")
    for name, (kind, fields, _copies, _reprint) in SPOOLED.items():
        stored = json.dumps(fields, ensure_ascii=False)
        doc = document_from_fields(kind, json.loads(stored))
        loads = timed(args.runs, partial(json.loads, stored))
        read = timed(args.runs, partial(read_back, kind, stored))
        lay = timed(args.runs, partial(layout, doc))
        render = timed(max(3, args.runs // 30), partial(render_job, doc, printer))
        print(
            f"{name:22} read {read * 1e6:7.1f} µs (json.loads alone {loads * 1e6:6.1f} µs, "
            f"×{read / loads:4.1f})  layout {lay * 1e6:7.1f} µs of render {render * 1e3:6.1f} ms "
            f"({lay / render * 100:.2f} %; read {read / render * 100:.2f} %)"
        )


if __name__ == "__main__":
    main()
