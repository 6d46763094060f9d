"""The counters' sync API in worker processes of its own (`serve --api-workers`, issue #18).

A push is the portal's heaviest request; in the process serving pages it made citizens wait.
With `api_workers`, the API runs in other processes, on `api_port`, niced. The drill stops the
API worker outright (SIGSTOP: a push that never ends, the worst a push can do) and requires
every citizen page to be served meanwhile, then the push to go through once it runs again.
Also: the API workers run at the configured lower priority, the page workers still answer the
API (a one-port deployment keeps working), and a split that cannot run is refused with a
clear error before anything starts.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench._portal_common import SimCounter
from portal import admin
from portal.pg import PostgresStorage
from portal.server import load_settings
from tests.support.pg import PgCluster, pg_cluster  # noqa: F401  (fixture)
from tests.support.servers import ROOT, free_port, python_env, start_server, stop_server

ADMIN = "split-admin-token-0123456789abc"


class SplitPortal:
    """`python -m portal serve --workers 1 --api-workers 1` over PostgreSQL."""

    def __init__(self, tmp_path: Path, url: str):
        self.port, self.api_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.api = f"http://127.0.0.1:{self.api_port}"
        config = tmp_path / "portal.toml"
        config.write_text(
            f'[security]\nwitness_key_path = "{tmp_path / "witness-key.pem"}"\n'
            "[storage]\npool_size = 2\n",
            encoding="utf-8",
        )
        env = {
            **python_env(),
            "COUNTER_PORTAL_DATABASE_URL": url,
            "COUNTER_PORTAL_ADMIN_TOKEN": ADMIN,
        }
        command = [sys.executable, "-m", "portal", "--config", str(config), "serve"]
        command += ["--port", str(self.port), "--workers", "1"]
        command += ["--api-workers", "1", "--api-port", str(self.api_port)]
        ready = [f"{self.url}/api/v1/health", f"{self.api}/api/v1/health"]
        self.proc = start_server(
            command, ready=ready, what="the portal's workers", env=env, timeout=60
        )

    def worker_pid(self, base: str) -> int:
        r = httpx.get(f"{base}/api/v1/health", headers={"authorization": f"Bearer {ADMIN}"})
        return int(r.json()["worker"])

    def stop(self) -> None:
        stop_server(self.proc)


@pytest.fixture
def split(tmp_path: Path, pg_cluster: PgCluster) -> Iterator[tuple[SplitPortal, str]]:  # noqa: F811
    url = pg_cluster.create_database()
    portal = SplitPortal(tmp_path, url)
    try:
        yield portal, url
    finally:
        portal.stop()


def _push(sim: SimCounter, base: str, timeout: float = 20) -> tuple[httpx.Response, str]:
    entry, code, dossier_uuid = sim.entry()
    r = httpx.post(
        f"{base}/api/v1/push",
        json={"after_seq": sim.seq - 1, "entries": [entry]},
        headers={"authorization": f"Bearer {sim.token}"},
        timeout=timeout,
    )
    return r, sim.lookup_path(code, dossier_uuid)


def test_pages_are_served_while_the_api_worker_is_stuck(
    split: tuple[SplitPortal, str],
) -> None:
    portal, db_url = split
    storage = PostgresStorage(db_url, max_size=1)
    try:
        sims = [SimCounter(i) for i in range(3)]
        paths: list[str] = []
        for sim in sims:
            code = admin.create_enrollment_code(storage, sim.agency, sim.counter_no)
            r = httpx.post(
                f"{portal.api}/api/v1/enroll",
                json={
                    "enrollment_code": code,
                    "device_id": sim.device_id,
                    "device_secret": sim.secret,
                    "agency_code": sim.agency,
                    "counter_no": sim.counter_no,
                },
                timeout=20,
            )
            assert r.status_code == 200, r.text
            sim.token = r.json()["token"]
            pushed, path = _push(sim, portal.api)
            assert pushed.status_code == 200 and pushed.json()["applied"] == 1, pushed.text
            paths.append(path)
    finally:
        storage.close()

    api_pid, page_pid = portal.worker_pid(portal.api), portal.worker_pid(portal.url)
    assert api_pid != page_pid
    # The API worker yields the CPU: its priority is the configured nice (10) above the page's.
    nice = os.getpriority(os.PRIO_PROCESS, api_pid) - os.getpriority(os.PRIO_PROCESS, page_pid)
    assert nice == load_settings().api_nice == 10

    entry, code, dossier_uuid = sims[0].entry()
    body = {"after_seq": sims[0].seq - 1, "entries": [entry]}
    auth = {"authorization": f"Bearer {sims[0].token}"}
    os.kill(api_pid, signal.SIGSTOP)  # a push that never ends
    try:
        # The API port accepts (the kernel queues the connection) but nothing answers it ...
        with pytest.raises(httpx.TimeoutException):
            httpx.post(f"{portal.api}/api/v1/push", json=body, headers=auth, timeout=1)
        # ... while every citizen's page is served, on fresh connections and kept ones.
        with httpx.Client(base_url=portal.url, timeout=20) as client:
            for _ in range(3):
                for sim, path in zip(sims, paths, strict=True):
                    r = client.get(path)
                    assert r.status_code == 200
                    assert sim.agency in r.text
    finally:
        os.kill(api_pid, signal.SIGCONT)
    # Running again, the API worker takes the push the counter sends again (its outbox):
    # applied once, whether or not the first attempt was read after the worker woke up.
    pushed = httpx.post(f"{portal.api}/api/v1/push", json=body, headers=auth, timeout=20)
    assert pushed.status_code == 200, pushed.text
    assert pushed.json()["last_seq"] == sims[0].seq
    page = httpx.get(portal.url + sims[0].lookup_path(code, dossier_uuid), timeout=20)
    assert page.status_code == 200 and code in page.text
    # A one-port deployment keeps working: the page workers answer the API too.
    r = httpx.get(
        f"{portal.url}/api/v1/changes?after=0", headers={"authorization": f"Bearer {sims[1].token}"}
    )
    assert r.status_code == 200


@pytest.mark.parametrize(
    ("setting", "error"),
    [
        ("api_workers = -1", "server.api_workers"),
        ("api_workers = 1\napi_port = 8700", "server.api_port: another port"),
        ("api_workers = 1\napi_port = 70000", "server.api_port: 1-65535"),
        ("api_nice = 20", "server.api_nice"),
        ("api_nice = -5", "server.api_nice"),
        ("workers = 0", "server.workers"),
    ],
)
def test_a_split_that_cannot_run_is_refused(tmp_path: Path, setting: str, error: str) -> None:
    config = tmp_path / "portal.toml"
    config.write_text(f"[server]\n{setting}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=error):
        load_settings(config)
    # The command line says so and starts nothing.
    done = subprocess.run(
        [sys.executable, "-m", "portal", "--config", str(config), "serve"],
        cwd=ROOT,
        env=python_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and error in done.stderr, done.stderr
    assert json.dumps(done.stdout) == '""'
