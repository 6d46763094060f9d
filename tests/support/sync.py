"""Counters and portals for the sync and portal tests: builders, convergence, outbox entries.

A counter here is a real `Desk` on its own SQLite file; a portal is a real uvicorn server on
127.0.0.1 (`portal.server.ThreadedPortal`) or a subprocess (`PortalProcess`) that a test can
SIGKILL and start again on the same port and file.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from counter import auth
from counter.config import Config
from counter.desk import Desk
from counter.store import Store
from counter.timeutil import Clock, system_clock
from portal.storage import SQLStorage
from tests.support.builders import draft_for
from tests.support.config import make_config
from tests.support.servers import ROOT, free_port, python_env, start_server, stop_server

AGENCY = "000.00.12.H26"


@dataclass
class Counter:
    config: Config
    desk: Desk

    @property
    def store(self) -> Store:
        return self.desk.store

    @property
    def device_id(self) -> str:
        return self.desk.device_id


def make_counter(
    base: Path,
    number: int,
    url: str,
    code: str,
    *,
    clock: Clock = system_clock,
    timeout: float = 5.0,
    lookup_website: str | None = None,
) -> Counter:
    """A counter with one logged-in officer, configured for the portal at `url`
    (`lookup_website`: where its receipts' QR codes point, e.g. that same portal)."""
    folder = base / f"counter{number:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    extra: dict[str, Any] = {}
    if lookup_website is not None:
        extra["agency"] = {"lookup_website": lookup_website}
    config = make_config(
        folder,
        counter={"number": number},
        portal={"url": url, "enrollment_code": code, "timeout_seconds": timeout},
        **extra,
    )
    desk = Desk.open(config, clock=clock)
    desk.create_officer("canbo", "Trần Thị Mai", "officer", "1234")
    desk.login("canbo", "1234")
    return Counter(config, desk)


def with_url(config: Config, url: str, **portal: Any) -> Config:
    from dataclasses import replace

    return replace(config, portal=replace(config.portal, url=url, **portal))


def receive_some(counter: Counter, n: int, *, act_every: int = 2) -> list[str]:
    """Receive `n` dossiers; every `act_every`-th also starts processing (two events)."""
    uuids = []
    for i in range(n):
        d = counter.desk.receive(draft_for(counter.desk, "1.004194"))
        if act_every and i % act_every == 0:
            counter.desk.act(d.uuid, "start_processing")
        uuids.append(d.uuid)
    return uuids


def assert_converged(storage: SQLStorage, store: Store) -> None:
    """The portal holds exactly this counter's dossiers and events: none lost, none twice."""
    device_id = store.get_setting("device_id")
    local = {
        r[0]: (r[1], r[2], r[3])
        for r in store.conn.execute("SELECT uuid, code, status, version FROM dossiers")
    }
    remote = {
        r[0]: (r[1], r[2], r[3])
        for r in storage.query(
            "SELECT uuid, code, status, version FROM dossiers WHERE device_id = ?", (device_id,)
        )
    }
    assert remote == local
    local_events = sorted(
        (r[0], r[1], r[2])
        for r in store.conn.execute("SELECT id, dossier_uuid, action FROM dossier_events")
    )
    remote_events = sorted(
        (r[0], r[1], r[2])
        for r in storage.query(
            "SELECT event_id, dossier_uuid, action FROM dossier_events WHERE device_id = ?",
            (device_id,),
        )
    )
    assert remote_events == local_events
    seqs = [r[0] for r in store.conn.execute("SELECT seq FROM outbox ORDER BY seq")]
    ingested = [
        r[0]
        for r in storage.query(
            "SELECT seq FROM ingest WHERE device_id = ? ORDER BY seq", (device_id,)
        )
    ]
    assert ingested == seqs, "each outbox entry is on the portal exactly once"
    assert storage.query(
        "SELECT count(*) FROM ingest WHERE device_id = ? AND status = 'rejected'", (device_id,)
    ) == [(0,)]
    pending = store.conn.execute(
        "SELECT count(*) FROM outbox WHERE acked_at IS NULL OR rejected_reason IS NOT NULL"
    ).fetchone()[0]
    assert pending == 0
    device = storage.device(str(device_id))
    assert device is not None and device.last_seq == (seqs[-1] if seqs else 0)


class PortalProcess:
    """`python -m portal serve` in a subprocess, killable with SIGKILL and restartable."""

    def __init__(self, db: Path, port: int | None = None, extra_config: str = ""):
        self.db = db
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config_file: Path | None = None
        if extra_config:
            self.config_file = db.parent / "portal.toml"
            self.config_file.write_text(extra_config, encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PortalProcess:
        args = [sys.executable, "-m", "portal", "--db", str(self.db)]
        if self.config_file:
            args += ["--config", str(self.config_file)]
        args += ["serve", "--port", str(self.port)]
        self.proc = start_server(args, ready=[f"{self.url}/api/v1/health"], what="the portal")
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop_server(self.proc, timeout=10)

    def admin(self, *args: str) -> str:
        out = subprocess.run(
            [sys.executable, "-m", "portal", "--db", str(self.db), *args],
            cwd=ROOT,
            env=python_env(),
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()


def payload_of(store: Store, seq: int) -> dict[str, Any]:
    row = store.conn.execute("SELECT payload FROM outbox WHERE seq = ?", (seq,)).fetchone()
    return dict(json.loads(row[0]))


def outbox_entries(desk: Desk, seqs: list[int]) -> list[dict[str, Any]]:
    """The push entries for these outbox rows, as the counter would send them."""
    out = []
    for seq in seqs:
        row = desk.store.conn.execute(
            "SELECT kind, schema_version, created_at FROM outbox WHERE seq = ?", (seq,)
        ).fetchone()
        out.append(
            {
                "seq": seq,
                "kind": row[0],
                "schema_version": row[1],
                "created_at": row[2],
                "payload": payload_of(desk.store, seq),
            }
        )
    return out


def add_supervisor(c: Counter) -> None:
    """A supervisor account, made as the set-up does (the logged-in officer's desk)."""
    auth.create_officer(
        c.store,
        username="giamsat",
        full_name="Lê Văn Hùng",
        role="supervisor",
        secret="567856",
        now=c.desk.now(),
        by=c.desk.officer,
    )
