"""What the portal benchmarks share: the servers they start and the counters they simulate.

`bench.bench_portal` (closed loop, wrk) and `bench.bench_portal_open` (open loop) load the same
portal the same way: a private PostgreSQL cluster, the portal as `counter-portal serve` with N
workers, a bare uvicorn "hello" app with the same workers (the machine's ceiling, measured in
the same run), and simulated counters that enroll, push dossiers and sync from another
process (`python -m bench._portal_common --sync-load SPEC OUT`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from counter.codes import format_code
from counter.lookup import lookup_token, lookup_url
from tests.support.servers import ROOT, die_with_parent, free_port, start_server

AGENCIES = ["000.00.12.H26", "000.00.13.H26", "000.00.14.H26"]


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


class Wire:
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


async def sync_loop(
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
        wire = Wire(host, port, sim.token)
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

    result = uvloop.run(sync_loop(spec["base"], spec["sims"], spec["seconds"], spec["interval"]))
    Path(out_file).write_text(json.dumps(result))


SYNC_LOAD = [sys.executable, "-m", "bench._portal_common", "--sync-load"]


@dataclass
class Servers:
    """The portal over PostgreSQL and the bare endpoint, running; `work` is a scratch folder."""

    db_url: str
    port: int
    bare_port: int
    work: Path
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    api_port: int = 0  # the sync API workers' own port (`serve --api-workers`); 0: none

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """Where the counters sync: the API workers' port when the portal has them."""
        return f"http://127.0.0.1:{self.api_port or self.port}"

    def sync_load(self, sims: list[SimCounter], seconds: float, interval: float) -> SyncLoad:
        """Start the simulated counters syncing (one push and one pull every `interval`
        seconds each, on their own keep-alive connections) in another process."""
        spec, out = self.work / "sync.json", self.work / "sync-result.json"
        spec.write_text(
            json.dumps(
                {
                    "base": self.api_base,
                    "sims": [{k: v for k, v in s.__dict__.items() if k != "day"} for s in sims],
                    "seconds": seconds,
                    "interval": interval,
                },
                default=str,
            )
        )
        proc = subprocess.Popen(
            [*SYNC_LOAD, str(spec), str(out)], cwd=ROOT, env=self.env, preexec_fn=die_with_parent()
        )
        self.procs.append(proc)
        return SyncLoad(proc, out, seconds)


@dataclass
class SyncLoad:
    proc: subprocess.Popen[bytes]
    out: Path
    seconds: float

    def result(self) -> dict[str, Any]:
        self.proc.wait(timeout=self.seconds + 120)
        return dict(json.loads(self.out.read_text()))


@contextlib.contextmanager
def portal_servers(workers: int, prefix: str, api_workers: int = 0) -> Iterator[Servers | None]:
    """PostgreSQL, the portal and the bare endpoint for the block; None when PostgreSQL is not
    installed. `api_workers` > 0 gives the counters' sync API processes of their own on
    another port (`serve --api-workers`, niced), where `Servers.sync_load` sends the counters. The portal's log (one line per push) goes to a file, printed in part if the
    portal fails to start, not onto the bench's output."""
    from tests.support.pg import PgCluster, pg_bindir

    bindir = pg_bindir()
    if bindir is None:
        print("PostgreSQL is not installed: apt-get install -y postgresql", file=sys.stderr)
        yield None
        return
    work = Path(tempfile.mkdtemp(prefix=prefix))
    cluster = PgCluster(bindir).start()
    servers: Servers | None = None
    try:
        db_url = cluster.create_database("bench")
        config = work / "portal.toml"
        config.write_text(
            "[security]\nlookup_max_failures = 1000000\n[storage]\npool_size = 10\n",
            encoding="utf-8",
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COUNTER_PORTAL_DATABASE_URL": db_url}
        servers = Servers(db_url, free_port(), free_port(), work, env)
        log = (work / "portal.log").open("wb")
        serve = [sys.executable, "-m", "portal", "--config", str(config), "serve"]
        serve += ["--port", str(servers.port), "--workers", str(workers)]
        if api_workers:
            servers.api_port = free_port()
            serve += ["--api-workers", str(api_workers), "--api-port", str(servers.api_port)]
        ready = [f"{servers.base}/api/v1/health", f"{servers.api_base}/api/v1/health"]
        try:
            servers.procs.append(
                start_server(serve, ready=ready, what="the portal", env=env,
                             stdout=log, stderr=subprocess.STDOUT)
            )  # fmt: skip
        except RuntimeError:
            print((work / "portal.log").read_text(errors="replace")[-3000:], file=sys.stderr)
            raise
        bare = [sys.executable, "-m", "uvicorn", "bench._portal_common:hello_app"]
        bare += ["--port", str(servers.bare_port), "--workers", str(workers)]
        bare += ["--log-level", "warning", "--no-access-log"]
        servers.procs.append(
            start_server(bare, ready=[f"http://127.0.0.1:{servers.bare_port}/"],
                         what="the bare endpoint", env=env, stderr=None)
        )  # fmt: skip
        yield servers
    finally:
        for proc in servers.procs if servers else []:
            if proc.poll() is None:
                proc.terminate()
        for proc in servers.procs if servers else []:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        cluster.stop()
        import shutil

        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--sync-load"]:
        sync_load_main(*sys.argv[2:4])
