"""Open-loop benchmark of the citizen page: fixed request rates while a city's counters sync.

    .venv/bin/python -m bench.bench_portal_open              # 1 500 counters, 10 s per rate
    .venv/bin/python -m bench.bench_portal_open --quick      # 300 counters, 5 s per rate

Why open loop: a closed-loop generator (wrk with N connections) sends the next request only
when the last one answered, so a slow server is sent less and its latency reads as
connections ÷ throughput (Little's law), not what a citizen sees. Here requests are sent at a
fixed rate whatever the server does, and each request's latency counts from the moment it
was *meant* to start (no coordinated omission): a request that waited for a free connection
or for the generator itself is charged that wait.

The city load (issue #18): Hà Nội has ~1 500 counters, each syncing every 15 s (one push of a
new dossier and one pull, over its own keep-alive connection, `bench.bench_portal`'s
simulator), while citizens open their receipts' pages at 200, 500, 1 000 and 2 000 req/s
over 1 000s of different receipts. At each rate the same generator first drives a bare
uvicorn "hello" endpoint with the same worker count (the ceiling of this machine and this
generator), then the page over every receipt in turn (each view rendered afresh: more
receipts than a worker keeps), then the page over 500 receipts viewed again and again (the
kept page, `portal.page_cache`). Requests ask for gzip, as every phone's browser does. Prints p50/p99/max and errors per rate, and the highest rate
whose p99 stays ≤ 100 ms (and the first that passes it), for both.

The portal runs as a city would run it (docs/portal.md): `--workers` (2) page workers on the
citizens' port and `--api-workers` (1) processes of their own for the counters' sync API, on
another port, niced; the counters sync there. `--api-workers 0` gives the set-up before #18
(the page workers serve the counters too), for comparison in the same conditions.

Everything shares the machine's cores: PostgreSQL, the portal's workers, the sync simulator
and this generator (Python on uvloop, about a third of a core at 2 000 req/s). On a loaded
shared machine the figures are noisy; the bare endpoint measured just before each page rate
is the baseline to read them against.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._portal_common import ROOT, Servers, portal_servers, seed

TARGET_P99_MS = 100.0
RATES = (200, 500, 1000, 2000)
# The repeat-view series: this many receipts, each viewed again and again (refreshes, a second
# scan), all of them within the portal's kept pages (`portal.page_cache`, 2 048 per worker).
# The main series cycles over every seeded receipt (3 000 at 1 500 counters), more than a
# worker keeps, so each of its views is rendered afresh: the worst case, a city of new scans.
REPEATED = 500
SELF_GENERATE = [sys.executable, "-m", "bench.bench_portal_open", "--generate"]


class _Conn:
    """One keep-alive HTTP/1.1 connection (GET only), read by Content-Length."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader, self.writer = reader, writer

    async def get(self, host: str, path: str) -> int:
        self.writer.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n".encode()
        )
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])


async def open_loop(
    host: str, port: int, paths: list[str], rate: float, seconds: float, max_conns: int = 512
) -> dict[str, float]:
    """Send `rate` GETs per second for `seconds`, cycling over `paths`; latency of each from
    its intended start. A request finding no idle connection opens one (up to `max_conns`)
    or waits for one, and that wait counts."""
    clock = time.perf_counter  # (uvloop's loop.time() counts whole milliseconds)
    idle: list[_Conn] = []
    free = asyncio.Condition()
    opened = 0
    latencies: list[float] = []
    errors = 0
    total = int(rate * seconds)

    async def take() -> _Conn:
        nonlocal opened
        async with free:
            while not idle and opened >= max_conns:
                await free.wait()
            if idle:
                return idle.pop()
            opened += 1
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            opened -= 1
            raise
        return _Conn(reader, writer)

    async def give(conn: _Conn | None) -> None:
        nonlocal opened
        async with free:
            if conn is None:
                opened -= 1
            else:
                idle.append(conn)
            free.notify()

    failures = (OSError, asyncio.IncompleteReadError, ValueError, IndexError, TimeoutError)

    async def one(i: int, intended: float) -> None:
        nonlocal errors
        conn: _Conn | None = None
        path = paths[i % len(paths)]
        try:
            conn = await take()
            try:
                status = await asyncio.wait_for(conn.get(host, path), 5.0)
            except (OSError, asyncio.IncompleteReadError, IndexError):
                # The server closed an idle keep-alive connection (uvicorn does after 5 s):
                # a browser retries on a new one, and so does this (the wait still counts).
                conn.writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                conn = _Conn(reader, writer)
                status = await asyncio.wait_for(conn.get(host, path), 5.0)
            if status != 200:
                errors += 1
        except failures:
            errors += 1
            if conn is not None:
                conn.writer.close()
                conn = None
        finally:
            await give(conn)
        latencies.append(clock() - intended)

    tasks: list[asyncio.Task[None]] = []
    start = clock() + 0.05
    for i in range(total):
        intended = start + i / rate
        delay = intended - clock()
        if delay > 0.0005:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, intended)))
    await asyncio.gather(*tasks)
    for conn in idle:
        conn.writer.close()
    lat = sorted(latencies)
    return {
        "rate": rate,
        "sent": float(total),
        "p50_ms": 1000 * lat[len(lat) // 2],
        "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        "max_ms": 1000 * lat[-1],
        "errors": float(errors),
        "achieved": total / max(1e-9, clock() - start),
    }


def generator_main(spec_file: str, out_file: str) -> None:
    """The generator process: every rate against the bare endpoint and the page."""
    import uvloop

    spec = json.loads(Path(spec_file).read_text())

    async def run() -> list[dict[str, Any]]:
        out = []
        # Warm-up, not counted: connections, templates and caches of both servers.
        await open_loop("127.0.0.1", spec["bare_port"], ["/"], 200, 2.0)
        await open_loop("127.0.0.1", spec["port"], spec["paths"], 200, 2.0)
        await open_loop("127.0.0.1", spec["port"], spec["paths"][:REPEATED], 500, 2.0)
        for rate in spec["rates"]:
            for name, port, paths in (
                ("bare", spec["bare_port"], ["/"]),
                ("page", spec["port"], spec["paths"]),
                ("repeat", spec["port"], spec["paths"][:REPEATED]),
            ):
                result = await open_loop("127.0.0.1", port, paths, rate, spec["seconds"])
                result["target"] = name  # type: ignore[assignment]
                out.append(result)
                await asyncio.sleep(1.0)  # let the queues drain between phases
        return out

    Path(out_file).write_text(json.dumps(uvloop.run(run())))


def knee(rows: list[dict[str, Any]]) -> tuple[float, float | None]:
    """(highest rate with p99 ≤ target and no errors, first rate past it or None)."""
    ok = 0.0
    for row in sorted(rows, key=lambda r: r["rate"]):
        if row["p99_ms"] <= TARGET_P99_MS and not row["errors"]:
            ok = row["rate"]
        else:
            return ok, row["rate"]
    return ok, None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_portal_open", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="300 counters, 5 s per rate")
    p.add_argument("--counters", type=int, default=1500)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--sync-interval", type=float, default=15.0)
    p.add_argument("--workers", type=int, default=2, help="the page's worker processes")
    p.add_argument(
        "--api-workers",
        type=int,
        default=1,
        help="processes of their own for the counters' sync API (niced); 0: the page's "
        "workers serve the counters too (before #18's split)",
    )
    p.add_argument("--rates", default=",".join(str(r) for r in RATES))
    p.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.generate:
        generator_main(*args.generate)
        return 0
    if args.quick:
        args.counters, args.seconds = min(args.counters, 300), 5.0
    rates = [float(r) for r in args.rates.split(",")]
    with portal_servers(args.workers, "bench-open-", args.api_workers) as servers:
        if servers is None:
            return 2
        run(servers, args, rates)
    return 0


def run(servers: Servers, args: Any, rates: list[float]) -> None:
    work, port, bare_port = servers.work, servers.port, servers.bare_port
    t0 = time.perf_counter()
    sims, paths = seed(servers.api_base, servers.db_url, args.counters, 2)
    split = (
        f" + {args.api_workers} sync API worker{'s' if args.api_workers > 1 else ''} (nice)"
        if args.api_workers
        else ", which also serve the counters"
    )
    print(
        f"seeded {len(sims)} counters × 2 dossiers in {time.perf_counter() - t0:.0f} s "
        f"(PostgreSQL, {args.workers} page workers{split}, {os.cpu_count()} cores, shared; "
        f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())})"
    )
    phases = len(rates) * 3
    sync_seconds = phases * (args.seconds + 1.5) + args.sync_interval + 10
    syncer = servers.sync_load(sims, sync_seconds, args.sync_interval)
    time.sleep(args.sync_interval)  # every counter has started its rounds
    gen_spec, gen_out = work / "gen.json", work / "gen-result.json"
    gen_spec.write_text(
        json.dumps(
            {
                "rates": rates,
                "seconds": args.seconds,
                "port": port,
                "bare_port": bare_port,
                "paths": paths,
            }
        )
    )
    subprocess.run(
        [*SELF_GENERATE, str(gen_spec), str(gen_out)],
        cwd=ROOT,
        env=servers.env,
        check=True,
    )
    rows = json.loads(gen_out.read_text())
    sync = syncer.result()
    report(rows, sync, args, len(sims))


def report(rows: list[dict[str, Any]], sync: dict[str, Any], args: Any, counters: int) -> None:
    print(
        f"\nopen loop, {args.seconds:g} s per rate, latency from each request's intended start; "
        f"all the while {counters} counters sync every {args.sync_interval:g} s"
    )
    print(
        f"{'rate/s':>8} | {'bare p50':>9}{'p99':>8}{'max':>8}{'err':>6} | "
        f"{'page p50':>9}{'p99':>8}{'max':>8}{'err':>6} | {'page/bare p99':>13} | "
        f"{'repeat p50':>10}{'p99':>8}{'max':>8}{'err':>6}"
    )
    by: dict[tuple[str, float], dict[str, Any]] = {(r["target"], r["rate"]): r for r in rows}
    for rate in sorted({r["rate"] for r in rows}):
        b, pg, rp = by[("bare", rate)], by[("page", rate)], by[("repeat", rate)]
        print(
            f"{rate:>8.0f} | {b['p50_ms']:>9.1f}{b['p99_ms']:>8.1f}{b['max_ms']:>8.0f}"
            f"{b['errors']:>6.0f} | {pg['p50_ms']:>9.1f}{pg['p99_ms']:>8.1f}{pg['max_ms']:>8.0f}"
            f"{pg['errors']:>6.0f} | {pg['p99_ms'] / max(b['p99_ms'], 0.001):>12.1f}× | "
            f"{rp['p50_ms']:>10.1f}{rp['p99_ms']:>8.1f}{rp['max_ms']:>8.0f}{rp['errors']:>6.0f}"
        )
    print(
        f"page: every view a different receipt (rendered afresh); repeat: {REPEATED} receipts "
        "viewed again and again (the kept page); requests ask for gzip, as a phone does"
    )
    for target in ("bare", "page", "repeat"):
        ok, past = knee([r for r in rows if r["target"] == target])
        passes = f"passes {TARGET_P99_MS:.0f} ms at {past:.0f} req/s" if past else "never passes"
        print(f"{target}: p99 ≤ {TARGET_P99_MS:.0f} ms up to {ok:.0f} req/s; {passes}")
    page_1000 = next((r for r in rows if r["target"] == "page" and r["rate"] == 1000), None)
    if page_1000 is not None:
        met = page_1000["p99_ms"] <= TARGET_P99_MS and not page_1000["errors"]
        print(
            f"target (page p99 ≤ {TARGET_P99_MS:.0f} ms at 1 000 req/s while counters sync): "
            f"{'met' if met else 'NOT met'} ({page_1000['p99_ms']:.1f} ms)"
        )
    print(
        f"sync: {sync['pushes']} rounds ({sync['pushes'] / sync['seconds']:.0f}/s, "
        f"push + pull each), {sync['errors']} errors, round p50 {sync['round_p50_ms']:.1f} ms, "
        f"p99 {sync['round_p99_ms']:.1f} ms"
    )


if __name__ == "__main__":
    raise SystemExit(main())
