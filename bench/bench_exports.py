"""Export 50,000 dossiers (a month of a busy centre) to XLSX and CSV: seconds and peak memory.

Targets: XLSX ≤ 3 s (issue #18; it was ≤ 10 s), CSV ≤ 2 s, ≤ 200 MB. Each export is the whole
export a supervisor runs (rows from SQLite, the file, the audit entry, the signed manifest with
its per-part hashes), measured beside baselines in the same run: the same rows written with no
formatting (csv.writer of the raw SQL rows; openpyxl write-only of the raw rows, what the book
used before #18; XlsxWriter constant-memory of the raw rows, what the book used until the
streaming writer `counter.exports.sheetml` replaced it), so the ratios show what the form
layout costs on this machine and what the writer saves. The cases alternate over `--rounds`
rounds (a shared, loaded machine: each figure is the best of its rounds, and every round is
printed, with the load average before and after). Peak memory is the whole process's peak RSS
(VmHWM, reset before each case, each case in a fresh child process) and tracemalloc's peak of
Python allocations; `bytes` is the size of the file written.

It then prints the witness's figures (`bench.bench_witness`): `audit verify` over a year of
audit entries (1,000,000) online and offline against the chain-only baseline, and a sync
round's cost with and without the witness step.

Run: .venv/bin/python -m bench.bench_exports [--rows 50000] [--audit-rows 1000000]
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import multiprocessing
import os
import random
import resource
import tempfile
import time
import tracemalloc
import uuid as uuidlib
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from counter.store import Store
from counter.timeutil import VN_TZ, iso

FIELDS = (
    ("2.000815", "Chứng thực bản sao từ bản chính", "Chứng thực"),
    ("1.001193", "Đăng ký khai sinh", "Hộ tịch"),
    ("1.000894", "Đăng ký kết hôn", "Hộ tịch"),
    ("1.004227", "Đăng ký thường trú", "Cư trú"),
)
STATUSES = ("received", "processing", "result_ready", "returned", "refused", "withdrawn")
_DVCQG = {
    "received": 2,
    "processing": 4,
    "result_ready": 9,
    "returned": 10,
    "refused": 3,
    "withdrawn": 7,
}


def insert_bulk_dossiers(
    store: Store,
    count: int,
    first_day: date,
    days: int,
    *,
    officer_id: int,
    counter_no: int = 3,
    seed: int = 1,
    agency: str = "000.00.12.H26",
) -> None:
    """Write `count` plausible dossiers straight into the table (fast: one executemany).

    For benchmarks and big-range tests only; real dossiers go through Desk.receive.
    """
    rng = random.Random(seed)
    per_day = -(-count // days)  # ceiling: every dossier lands inside the range
    rows: list[tuple[Any, ...]] = []
    for i in range(count):
        day = first_day + timedelta(days=i // per_day)
        seq = i % per_day + 1
        received = datetime(day.year, day.month, day.day, 8, 0, tzinfo=VN_TZ) + timedelta(
            seconds=seq * (8 * 3600 // per_day)
        )
        due = received + timedelta(days=rng.choice((0, 1, 3, 5)))
        status = rng.choice(STATUSES)
        finished = (
            received + timedelta(days=rng.choice((0, 1, 4, 7)))
            if status in ("result_ready", "returned", "refused", "withdrawn")
            else None
        )
        returned = finished + timedelta(hours=2) if status == "returned" and finished else None
        code_no, name, field = FIELDS[i % len(FIELDS)]
        rows.append(
            (
                str(uuidlib.UUID(int=rng.getrandbits(128), version=4)),
                f"{agency}-{day:%y%m%d}-{counter_no:02d}{seq:04d}",
                code_no,
                name,
                field,
                f"Nguyễn Văn Bình {i}",
                f"0012{i:08d}",
                f"09{i:08d}",
                f"Số {i % 200 + 1} Hàng Bạc, phường Hoàn Kiếm, Hà Nội",
                "[]",
                status,
                _DVCQG[status],
                iso(received),
                iso(due),
                iso(finished) if finished else None,
                iso(returned) if returned else None,
                "Người nhận" if returned else "",
                "Hồ sơ không đủ điều kiện" if status in ("refused", "withdrawn") else "",
                officer_id,
                counter_no,
                iso(finished or received),
            )
        )
    with store.write() as db:
        db.conn.executemany(
            "INSERT INTO dossiers(uuid, code, procedure_code, procedure_name, field, "
            "applicant_name, applicant_id, applicant_phone, applicant_address, documents, "
            "status, status_code, received_at, due_at, finished_at, returned_at, returned_to, "
            "closed_reason, officer_id, counter_no, updated_at, duration, duration_unit, "
            "device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
            "1, 'working_days', 'bench')",
            rows,
        )


def _peak_rss_mb() -> float:
    """This process's peak resident memory since the last reset (VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak_rss() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # Linux: reset VmHWM to the current RSS


def _measure(fn: Callable[[], Any], written: Callable[[], Path]) -> dict[str, float]:
    _reset_peak_rss()
    t0 = time.perf_counter()
    fn()
    seconds = time.perf_counter() - t0
    rss = _peak_rss_mb()
    size = written().stat().st_size
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(rss, 1),
        "py_peak_mb": peak / 2**20,
        "bytes": size,
    }


def _case(name: str, data_dir: str, out_dir: str, queue: Any) -> None:
    """One measurement in a fresh process (so ru_maxrss is this case's own peak)."""
    from counter.catalogue import load_catalogue
    from counter.config import CounterConfig, parse_config
    from counter.desk import Desk
    from counter.exports import ExportRequest, book_rows, export

    config = parse_config({"counter": {"data_dir": data_dir, "number": 3, "demo_data": False}})
    assert isinstance(config.counter, CounterConfig)
    desk = Desk(config, Store(config.db_path), load_catalogue())
    desk.login("giamsat", "56785678")
    start, end = date(2026, 11, 1), date(2026, 11, 30)
    out = Path(out_dir)
    agencies = {p.code: p.deciding_agency for p in desk.catalogue}

    def baseline_csv() -> None:
        # The same rows, csv.writer, no BOM, no date formatting, no manifest, no audit.
        with (out / "baseline.csv").open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(book_rows(desk.store, agencies, start, end))

    def baseline_xlsx() -> None:
        # The same rows, openpyxl write-only, plain cells: no styles, header, zip rewrite.
        from openpyxl import Workbook

        wb = Workbook(write_only=True)
        ws = wb.create_sheet("x")
        for row in book_rows(desk.store, agencies, start, end):
            ws.append(row)
        wb.save(out / "baseline.xlsx")

    def baseline_xlsxwriter() -> None:
        # The same rows, XlsxWriter constant memory, plain cells (write_row guesses types).
        import xlsxwriter

        wb = xlsxwriter.Workbook(str(out / "baseline-xw.xlsx"), {"constant_memory": True})
        ws = wb.add_worksheet("x")
        for r, row in enumerate(book_rows(desk.store, agencies, start, end)):
            ws.write_row(r, 0, row)
        wb.close()

    def book(fmt: str) -> Callable[[], Any]:
        return lambda: export(desk, ExportRequest(start, end, out / fmt, formats=(fmt,)))

    cases = {
        "csv": book("csv"),
        "xlsx": book("xlsx"),
        "baseline_csv": baseline_csv,
        "baseline_xlsx": baseline_xlsx,
        "baseline_xlsxwriter": baseline_xlsxwriter,
    }
    files = {
        "csv": out / "csv" / "so-theo-doi-ho-so_2026-11-01_2026-11-30.csv",
        "xlsx": out / "xlsx" / "so-theo-doi-ho-so_2026-11-01_2026-11-30.xlsx",
        "baseline_csv": out / "baseline.csv",
        "baseline_xlsx": out / "baseline.xlsx",
        "baseline_xlsxwriter": out / "baseline-xw.xlsx",
    }
    queue.put((name, _measure(cases[name], lambda: files[name])))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--audit-rows", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        from counter.catalogue import load_catalogue
        from counter.config import parse_config
        from counter.desk import Desk

        config = parse_config({"counter": {"data_dir": tmp, "number": 3, "demo_data": False}})
        desk = Desk(config, Store(config.db_path), load_catalogue())
        desk.create_officer("giamsat", "Lê Văn Hùng", "supervisor", "56785678")
        t0 = time.perf_counter()
        insert_bulk_dossiers(desk.store, args.rows, date(2026, 11, 1), 30, officer_id=1)
        seeded = time.perf_counter() - t0
        desk.close()
        results: dict[str, Any] = {
            "rows": args.rows,
            "seed_seconds": round(seeded, 2),
            "load_average_before": [round(x, 2) for x in os.getloadavg()],
        }
        ctx = multiprocessing.get_context("spawn")
        names = ("baseline_csv", "csv", "baseline_xlsx", "baseline_xlsxwriter", "xlsx")
        rounds: dict[str, list[float]] = {name: [] for name in names}
        for _ in range(max(1, args.rounds)):
            for name in names:
                out = Path(tmp) / "out"
                (out / "csv").mkdir(parents=True, exist_ok=True)
                (out / "xlsx").mkdir(parents=True, exist_ok=True)
                queue = ctx.Queue()
                proc = ctx.Process(target=_case, args=(name, tmp, str(out), queue))
                proc.start()
                key, figures = queue.get()
                proc.join()
                figures["py_peak_mb"] = round(figures["py_peak_mb"], 1)
                rounds[key].append(figures["seconds"])
                if key not in results or figures["seconds"] < results[key]["seconds"]:
                    results[key] = figures
        for name in names:
            results[name]["rounds_seconds"] = rounds[name]
        for fmt in ("csv", "xlsx"):
            base = results[f"baseline_{fmt}"]["seconds"] or 0.01
            results[f"{fmt}_vs_baseline"] = round(results[fmt]["seconds"] / base, 2)
        base = results["baseline_xlsxwriter"]["seconds"] or 0.01
        results["xlsx_vs_xlsxwriter_plain"] = round(results["xlsx"]["seconds"] / base, 2)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        results["targets"] = {
            "xlsx_seconds_le_3": results["xlsx"]["seconds"] <= 3,
            "csv_seconds_le_2": results["csv"]["seconds"] <= 2,
            "memory_le_200mb": max(results[f]["peak_rss_mb"] for f in ("csv", "xlsx")) <= 200,
        }
    print(json.dumps(results, indent=2, ensure_ascii=False))
    from bench import bench_witness

    results["witness"] = bench_witness.main(["--audit-rows", str(args.audit_rows)])
    return results


if __name__ == "__main__":
    main()
