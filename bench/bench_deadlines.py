"""Due dates and timeliness: how fast the one calendar and the one lateness rule are.

1. Due-date computations per second over a year of receipts at random minutes (procedures
   drawn from the shipped catalogue: working days, working hours, calendar days, cut-offs),
   against a baseline in the same run: the same loop adding a fixed number of minutes.
2. The supervisor's day recomputed over 50,000 dossiers: the figures (SQL, the timeliness
   rule's clauses) and the timeliness function applied in Python to every row, against a
   baseline in the same run: a plain count(*) and a loop that only parses the same dates.

Run: .venv/bin/python -m bench.bench_deadlines [--receipts 20000] [--rows 50000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.bench_exports import insert_bulk_dossiers
from counter import stats, timeliness
from counter.catalogue import load_catalogue
from counter.config import parse_config
from counter.desk import Desk
from counter.timeutil import VN_TZ, parse_iso
from counter.worktime import WorkCalendar

HOLIDAYS = {"2026": {"working_days": ["2026-08-22"]}}


def _receipts(n: int, seed: int = 7) -> list[datetime]:
    """`n` receipt moments at random minutes of 2026 (any hour, any day: the edges too)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=VN_TZ)
    return [start + timedelta(minutes=rng.randrange(365 * 24 * 60)) for _ in range(n)]


def bench_due_dates(n: int) -> None:
    config = parse_config({"holidays": HOLIDAYS})
    calendar = WorkCalendar(config.office_hours, config.holidays)
    procedures = list(load_catalogue(None))
    rng = random.Random(3)
    cases = [(r, rng.choice(procedures)) for r in _receipts(n)]
    calendar.due_at(cases[0][0], 1, "working_days")  # build the holiday tables once

    t0 = time.perf_counter()
    for received, p in cases:
        calendar.due_at(received, p.duration, p.duration_unit, p.cutoff)
    engine = time.perf_counter() - t0

    fixed = timedelta(minutes=3 * 480)
    t0 = time.perf_counter()
    for received, _p in cases:
        _ = received + fixed
    baseline = time.perf_counter() - t0

    print(f"due dates: {n} receipts at random minutes of 2026, catalogue procedures")
    print(f"  calendar.due_at      {n / engine:12,.0f} /s   ({engine * 1e6 / n:7.1f} µs each)")
    print(f"  baseline (+minutes)  {n / baseline:12,.0f} /s   ({baseline * 1e6 / n:7.1f} µs each)")
    print(f"  ratio                {engine / baseline:12.1f} x the baseline")


def bench_supervisor_day(rows: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {"counter": {"data_dir": str(Path(tmp) / "data"), "demo_data": False}},
            source=Path(tmp) / "config.toml",
        )
        desk = Desk.open(config)
        desk.create_officer("giamsat", "Lê Văn Hùng", "supervisor", "56785678")
        insert_bulk_dossiers(desk.store, rows, date(2026, 11, 1), 30, officer_id=1)
        now = datetime(2026, 11, 30, 15, 0, tzinfo=VN_TZ)
        day = now.date()

        t0 = time.perf_counter()
        figures = stats.compute_figures(desk.store, desk.calendar, day, day, now)
        sql_day = time.perf_counter() - t0
        t0 = time.perf_counter()
        stats.compute_figures(desk.store, desk.calendar, date(2026, 11, 1), day, now)
        sql_month = time.perf_counter() - t0

        t0 = time.perf_counter()
        desk.store.conn.execute("SELECT count(*) FROM dossiers").fetchone()
        count_only = time.perf_counter() - t0

        data = desk.store.conn.execute(
            "SELECT status, due_at, finished_at FROM dossiers"
        ).fetchall()
        t0 = time.perf_counter()
        judged: dict[str | None, int] = {}
        for status, due, done in data:
            key = timeliness.timeliness(
                status, parse_iso(due) if due else None, parse_iso(done) if done else None, now
            )
            judged[key] = judged.get(key, 0) + 1
        python_rule = time.perf_counter() - t0

        t0 = time.perf_counter()
        for _status, due, done in data:
            _ = (parse_iso(due) if due else None, parse_iso(done) if done else None)
        parse_only = time.perf_counter() - t0
        desk.close()

    print(f"supervisor's day over {rows:,} dossiers (a month of a busy centre)")
    print(f"  figures of the day (SQL)        {sql_day * 1000:9.1f} ms")
    print(f"  figures of the month (SQL)      {sql_month * 1000:9.1f} ms")
    print(f"  baseline: count(*)              {count_only * 1000:9.1f} ms")
    print(f"  timeliness() on every row       {python_rule * 1000:9.1f} ms")
    print(f"  baseline: parse the dates only  {parse_only * 1000:9.1f} ms")
    print(f"  ratio rule / parse              {python_rule / parse_only:9.2f} x")
    print(
        "  (overdue now: "
        f"{figures.counts['overdue']}, due today: {figures.counts['due_today']}; "
        f"Python rule: {judged.get('overdue', 0)} overdue, {judged.get('due_today', 0)} due today)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--receipts", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    bench_due_dates(args.receipts)
    print()
    bench_supervisor_day(args.rows)


if __name__ == "__main__":
    main()
