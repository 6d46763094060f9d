"""Benchmark: the citizen status page under load on loopback, PostgreSQL, while counters sync.

    .venv/bin/python -m bench.bench_portal            # 200 clients, 200 counters, 15 s phases
    .venv/bin/python -m bench.bench_portal --quick    # 5 s phases

Starts a private PostgreSQL cluster (Debian's `postgresql`, as the tests do), the portal as
`counter-portal serve --workers 2` over it, and a bare uvicorn "hello" ASGI app with the same
worker count; enrolls 200 simulated counters and pushes 5 dossiers each; then measures with
`wrk` (Debian's `wrk`, installed here if missing; closed loop, 200 connections, requests
spread over 1 000 different receipt URLs):

1. the ceiling: the bare uvicorn hello endpoint;
2. the status page alone;
3. the status page while 200 simulated counters sync (each pushes one new dossier and pulls
   its changes every `--sync-interval` seconds, over its own keep-alive HTTP connection,
   from another process; the simulator speaks HTTP/1.1 itself on uvloop, because httpx
   cost ~1.7 ms of CPU per request and took a sixth of the machine from the portal).

Prints p50/p99 latency, requests per second, errors (non-2xx and socket errors) per phase and
the sync figures; the target is p99 ≤ 100 ms with no errors in phase 3. The machine has two
cores shared by wrk, the sync simulator, PostgreSQL and both uvicorn workers: with a closed
loop, latency ≈ connections ÷ throughput (Little's law), so p99 follows the req/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from counter.codes import format_code
from counter.lookup import lookup_token, lookup_url

ROOT = Path(__file__).resolve().parent.parent
AGENCIES = ["000.00.12.H26", "000.00.13.H26", "000.00.14.H26"]
TARGET_P99_MS = 100.0


async def hello_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The ceiling: the least an ASGI app on uvicorn can do."""
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url}: no answer")


# -- simulated counters ---------------------------------------------------------------------


class SimCounter:
    def __init__(self, index: int):
        self.device_id = str(uuid.uuid4())
        self.secret = os.urandom(32).hex()
        # 99 counters per agency code (the code's counter number has two digits)
        self.agency = (
            AGENCIES[index // 99]
            if index < 99 * len(AGENCIES)
            else f"000.00.{20 + index // 99}.H26"
        )
        self.counter_no = index % 99 + 1
        self.seq = 0
        self.dossiers = 0
        self.token = ""
        self.day = date(2026, 11, 26)

    def entry(self) -> tuple[dict[str, Any], str, str]:
        """The next outbox entry: a new dossier received; with its code and UUID."""

        self.seq += 1
        self.dossiers += 1
        dossier_uuid = str(uuid.uuid4())
        code = format_code(self.agency, self.day, self.counter_no, self.dossiers)
        now = datetime.now(UTC)
        snap = {
            "uuid": dossier_uuid,
            "code": code,
            "status": "received",
            "status_code": 2,
            "version": 1,
            "received_at": now.isoformat(timespec="seconds"),
            "due_at": (now + timedelta(days=5)).isoformat(timespec="seconds"),
            "procedure_code": "1.004194",
            "procedure_name": "Đăng ký tạm trú",
            "applicant_name": "Nguyễn Văn An",
            "applicant_id": "001090012345",
            "applicant_phone": "0912345678",
            "fee_amount": 15000,
            "payment_method": "cash",
            "delivery": "counter",
            "counter_no": self.counter_no,
            "device_id": self.device_id,
            "updated_at": now.isoformat(timespec="seconds"),
        }
        entry = {
            "seq": self.seq,
            "kind": "dossier.event",
            "schema_version": 1,
            "created_at": now.isoformat(timespec="seconds"),
            "payload": {
                "device_id": self.device_id,
                "dossier_uuid": dossier_uuid,
                "event": {
                    "id": self.seq,
                    "at": now.isoformat(timespec="seconds"),
                    "action": "receive",
                    "from_status": None,
                    "to_status": "received",
                    "officer": "Trần Thị Mai",
                    "details": {},
                },
                "dossier": snap,
            },
        }
        return entry, code, dossier_uuid

    def lookup_path(self, code: str, dossier_uuid: str) -> str:

        token = lookup_token(bytes.fromhex(self.secret), self.device_id, dossier_uuid, code)
        url = lookup_url("http://x", code, token, self.device_id, dossier_uuid)
        return url[len("HTTP://X") :]


def seed(
    base: str, db_url: str, counters: int, per_counter: int
) -> tuple[list[SimCounter], list[str]]:
    import httpx

    from portal.pg import PostgresStorage

    storage = PostgresStorage(db_url, max_size=2)
    sims = [SimCounter(i) for i in range(counters)]
    paths: list[str] = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for sim in sims:
            code = storage.create_enrollment_code(sim.agency, sim.counter_no)
            r = http.post(
                "/api/v1/enroll",
                json={
                    "enrollment_code": code,
                    "device_id": sim.device_id,
                    "device_secret": sim.secret,
                    "agency_code": sim.agency,
                    "counter_no": sim.counter_no,
                },
            )
            r.raise_for_status()
            sim.token = r.json()["token"]
            entries = []
            for _ in range(per_counter):
                entry, code, dossier_uuid = sim.entry()
                entries.append(entry)
                paths.append(sim.lookup_path(code, dossier_uuid))
            r = http.post(
                "/api/v1/push",
                json={"after_seq": 0, "entries": entries},
                headers={"authorization": f"Bearer {sim.token}"},
            )
            r.raise_for_status()
            assert r.json()["applied"] == per_counter, r.text
    storage.close()
    return sims, paths


class _Wire:
    """A minimal HTTP/1.1 keep-alive client over one asyncio connection: the simulated
    counter's side of the sync protocol. httpx costs about 1.7 ms of CPU per request here,
    and the simulator shares the 2 cores with the portal it loads; a load generator should
    not be what it measures (wrk is C for the same reason)."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n"
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
        reused = self.writer is not None
        try:
            return await self._request(method, path, body)
        except (OSError, asyncio.IncompleteReadError, IndexError):
            if not reused:
                raise
            # The server closed the idle keep-alive connection (uvicorn does after 5 s, and a
            # counter syncing every 15 s finds it closed): a real client reconnects once.
            return await self._request(method, path, body)

    async def _request(self, method: str, path: str, body: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self.auth}"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        try:
            status_line = await self.reader.readline()
            length = 0
            while (line := await self.reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            data = await self.reader.readexactly(length)
            return int(status_line.split()[1]), data
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
            self.close()
            raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _sync_loop(
    base: str, sims: list[dict[str, Any]], seconds: float, interval: float
) -> dict[str, Any]:
    from urllib.parse import urlsplit

    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    counters = []
    for s in sims:
        sim = SimCounter(0)
        sim.__dict__.update(s)
        counters.append(sim)
    stats: dict[str, Any] = {"pushes": 0, "pulls": 0, "errors": 0, "latencies": []}
    deadline = time.monotonic() + seconds

    async def one(sim: SimCounter) -> None:
        # Each counter has its own keep-alive connection, as a real counter PC does.
        wire = _Wire(host, port, sim.token)
        await asyncio.sleep(random.uniform(0, interval))
        while time.monotonic() < deadline:
            entry, _code, _uuid = sim.entry()
            body = json.dumps({"after_seq": sim.seq - 1, "entries": [entry]}).encode()
            t0 = time.perf_counter()
            try:
                status, data = await wire.request("POST", "/api/v1/push", body)
                ok = status == 200 and json.loads(data)["applied"] == 1
                status, _ = await wire.request("GET", "/api/v1/changes?after=0")
                ok = ok and status == 200
            except (OSError, asyncio.IncompleteReadError, ValueError, KeyError):
                ok = False
            stats["latencies"].append(time.perf_counter() - t0)
            stats["pushes"] += 1
            stats["pulls"] += 1
            stats["errors"] += 0 if ok else 1
            await asyncio.sleep(interval * random.uniform(0.8, 1.2))
        wire.close()

    await asyncio.gather(*(one(c) for c in counters))
    lat = sorted(stats.pop("latencies"))
    stats["round_p50_ms"] = 1000 * lat[len(lat) // 2] if lat else 0.0
    stats["round_p99_ms"] = 1000 * lat[int(len(lat) * 0.99)] if lat else 0.0
    stats["seconds"] = seconds
    return stats


def sync_load_main(spec_file: str, out_file: str) -> None:
    spec = json.loads(Path(spec_file).read_text())
    import uvloop

    result = uvloop.run(_sync_loop(spec["base"], spec["sims"], spec["seconds"], spec["interval"]))
    Path(out_file).write_text(json.dumps(result))


# -- wrk --------------------------------------------------------------------------------


def _ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk is not available (apt-get install wrk)")
    return found


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    if not m:
        return float("nan")
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value


def wrk(url: str, connections: int, seconds: int, script: Path | None) -> dict[str, float]:
    cmd = [
        _ensure_wrk(),
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "5s",
    ]
    if script is not None:
        cmd += ["-s", str(script)]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "p50_ms": _ms(p50.group(1)) if p50 else float("nan"),
        "p99_ms": _ms(p99.group(1)) if p99 else float("nan"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": float(total.group(1)) if total else 0.0,
        "errors": float(int(non2xx.group(1)) if non2xx else 0)
        + (sum(int(g) for g in sock.groups()) if sock else 0),
    }


def _spread(port: int) -> dict[int, int]:
    """Established connections to `port` per server process id (`ss -tnp`): how the kernel
    spread wrk's keep-alive connections over the uvicorn workers."""
    out = subprocess.run(
        ["ss", "-tnpH", "state", "established", f"( sport = :{port} )"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts: dict[int, int] = {}
    for pid in re.findall(r"pid=(\d+)", out):
        counts[int(pid)] = counts.get(int(pid), 0) + 1
    return counts


def _cpu(pids: list[int]) -> dict[int, float]:
    """CPU seconds (user + system) each process has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    used: dict[int, float] = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / tick
    return used


def wrk_spread(
    url: str, port: int, connections: int, seconds: int, script: Path | None
) -> tuple[dict[str, float], str]:
    """`wrk`, plus how its connections and the CPU spread over the server's processes."""
    import threading

    seen: dict[int, int] = {}

    def look() -> None:
        time.sleep(min(2.0, seconds / 2))
        seen.update(_spread(port))

    looker = threading.Thread(target=look)
    looker.start()
    before = _cpu(list(_children_listening(port)))
    result = wrk(url, connections, seconds, script)
    looker.join()
    after = _cpu(list(before))
    parts = [
        f"pid {pid}: {seen.get(pid, 0)} conns, {after.get(pid, 0) - before[pid]:.1f} s CPU"
        for pid in sorted(before)
    ]
    return result, "; ".join(parts)


def _children_listening(port: int) -> set[int]:
    out = subprocess.run(
        ["ss", "-tlnpH", f"( sport = :{port} )"], capture_output=True, text=True, check=False
    ).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out)}


def _lua(paths: list[str], folder: Path) -> Path:
    script = folder / "paths.lua"
    body = ",\n".join(json.dumps(p) for p in paths)
    script.write_text(
        "local paths = {\n" + body + "\n}\n"
        "local i = 0\n"
        "request = function()\n"
        "  i = i + 1\n"
        "  return wrk.format('GET', paths[(i % #paths) + 1])\n"
        "end\n",
        encoding="utf-8",
    )
    return script


# -- main -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench_portal", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="5 s phases")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--counters", type=int, default=200)
    p.add_argument("--duration", type=int, default=15)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--sync-interval", type=float, default=2.0)
    p.add_argument("--sync-load", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.sync_load:
        sync_load_main(*args.sync_load)
        return 0
    sys.path.insert(0, str(ROOT))
    from tests.support.pg import PgCluster, pg_bindir

    duration = 5 if args.quick else args.duration
    bindir = pg_bindir()
    if bindir is None:
        print("PostgreSQL is not installed: apt-get install -y postgresql", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="bench-portal-"))
    cluster = PgCluster(bindir).start()
    procs: list[subprocess.Popen[bytes]] = []
    try:
        db_url = cluster.create_database("bench")
        port, hello_port = _free_port(), _free_port()
        base = f"http://127.0.0.1:{port}"
        config = work / "portal.toml"
        config.write_text(
            "[security]\nlookup_max_failures = 1000000\n[storage]\npool_size = 10\n",
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COUNTER_PORTAL_DATABASE_URL": db_url}
        portal = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "portal",
                "--config",
                str(config),
                "serve",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        procs.append(portal)
        hello = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "bench.bench_portal:hello_app",
                "--port",
                str(hello_port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        procs.append(hello)
        _wait(f"{base}/api/v1/health", portal)
        _wait(f"http://127.0.0.1:{hello_port}/", hello)

        t0 = time.perf_counter()
        sims, paths = seed(base, db_url, args.counters, 5)
        print(
            f"seeded {len(sims)} counters × 5 dossiers in {time.perf_counter() - t0:.1f} s "
            f"(PostgreSQL, {args.workers} uvicorn workers, {os.cpu_count()} cores)"
        )
        script = _lua(paths, work)

        results: dict[str, dict[str, float]] = {}
        results["hello (ceiling)"] = wrk(
            f"http://127.0.0.1:{hello_port}/", args.clients, duration, None
        )
        spreads: dict[str, str] = {}
        results["status page"], spreads["status page"] = wrk_spread(
            base, port, args.clients, duration, script
        )

        spec = work / "sync.json"
        spec.write_text(
            json.dumps(
                {
                    "base": base,
                    "sims": [{k: v for k, v in s.__dict__.items() if k != "day"} for s in sims],
                    "seconds": duration + 4,
                    "interval": args.sync_interval,
                },
                default=str,
            )
        )
        sync_out = work / "sync-result.json"
        loader = subprocess.Popen(
            [sys.executable, "-m", "bench.bench_portal", "--sync-load", str(spec), str(sync_out)],
            cwd=ROOT,
            env=env,
        )
        time.sleep(2)  # let every counter start its rounds
        results["status page + sync"], spreads["status page + sync"] = wrk_spread(
            base, port, args.clients, duration, script
        )
        loader.wait(timeout=duration + 120)
        sync = json.loads(sync_out.read_text())

        print(f"\n{args.clients} concurrent clients (wrk, closed loop), {duration} s per phase")
        print(f"{'phase':<22}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
        for name, r in results.items():
            print(
                f"{name:<22}{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}"
                f"{r['errors']:>8.0f}"
            )
        for name, spread in spreads.items():
            print(f"  {name}: {spread}")
        print("  (connections per worker: wrk's, and under sync also the 200 counters')")
        ceiling = results["hello (ceiling)"]["rps"]
        loaded = results["status page + sync"]
        print(
            f"\nsync: {args.counters} counters, one push + one pull each every "
            f"{args.sync_interval:g} s: {sync['pushes']} rounds "
            f"({sync['pushes'] / sync['seconds']:.0f}/s), {sync['errors']} errors, round p50 "
            f"{sync['round_p50_ms']:.1f} ms, p99 {sync['round_p99_ms']:.1f} ms"
        )
        page = results["status page"]
        print(
            f"closed loop (Little's law): mean latency ≈ {args.clients} connections ÷ req/s = "
            f"{1000 * args.clients / max(page['rps'], 1):.0f} ms alone, "
            f"{1000 * args.clients / max(loaded['rps'], 1):.0f} ms under sync; wrk, the sync "
            f"simulator, PostgreSQL and {args.workers} portal workers share {os.cpu_count()} "
            "cores, so these are the figures of this machine, not of the page alone"
        )
        print(
            f"status page under sync: {loaded['rps'] / ceiling:.0%} of the hello ceiling; "
            f"p99 {loaded['p99_ms']:.1f} ms (target ≤ {TARGET_P99_MS:.0f} ms): "
            f"{'met' if loaded['p99_ms'] <= TARGET_P99_MS and not loaded['errors'] else 'NOT met'}"
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
