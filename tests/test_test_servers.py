"""The servers tests and benchmarks start stop by themselves when the run that started them
is killed (kill -9: no `finally`, no atexit), and what such a run left in /tmp is removed
by the next one (tests/support/servers.py, tests/support/pg.py)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.pg import LEFT_AFTER_S, PgCluster, remove_left_clusters, require_postgres
from tests.support.servers import ROOT, python_env

# A "test run" that starts a portal (start_server) and a PostgreSQL cluster, says their
# process ids and folder, then waits to be killed.
RUN = """
import json, sys, time
from pathlib import Path
from tests.support.pg import PgCluster, pg_bindir
from tests.support.servers import free_port, start_server
port = free_port()
portal = start_server(
    [sys.executable, "-m", "portal", "--db", sys.argv[1], "serve", "--port", str(port)],
    ready=[f"http://127.0.0.1:{port}/api/v1/health"], what="the portal",
)
cluster = PgCluster(pg_bindir()).start()
print(json.dumps({"portal": portal.pid, "postgres": cluster.proc.pid,
                  "folder": str(cluster.root)}), flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie waiting for its reaper is gone too
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A temporary folder the `postgres` user can reach (pytest's are the owner's only), so
    that a sibling run's clusters in /tmp are never touched by these tests."""
    folder = Path(tempfile.mkdtemp(prefix="counter-pgtest-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_servers_stop_when_the_run_that_started_them_is_killed(
    tmp_path: Path, open_tmp: Path
) -> None:
    require_postgres()
    tmp = open_tmp
    run = subprocess.Popen(
        [sys.executable, "-c", RUN, str(tmp_path / "portal.db")],
        cwd=ROOT,
        env={**python_env(), "TMPDIR": str(tmp)},
        stdout=subprocess.PIPE,
    )
    try:
        assert run.stdout is not None
        started = json.loads(run.stdout.readline())
        assert _alive(started["portal"]) and _alive(started["postgres"])
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (
            _alive(started["portal"]) or _alive(started["postgres"])
        ):
            time.sleep(0.1)
        assert not _alive(started["portal"]), "the portal outlived the run that started it"
        assert not _alive(started["postgres"]), "PostgreSQL outlived the run that started it"
        folder = Path(started["folder"])
        assert folder.exists()  # nobody removed it: the run was killed
        assert folder.parent == tmp
        assert remove_left_clusters(tmp) == []  # too fresh: it may be a run starting
        assert remove_left_clusters(tmp, now=time.time() + LEFT_AFTER_S + 1) == [folder]
        assert not folder.exists()
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(timeout=10)


def test_a_running_cluster_is_never_taken_for_a_left_one(open_tmp: Path) -> None:
    bindir = require_postgres()
    tmp_path = open_tmp
    cluster = PgCluster(bindir, parent=tmp_path).start()
    try:
        later = time.time() + 10 * LEFT_AFTER_S
        assert remove_left_clusters(tmp_path, now=later) == []  # serving: kept
        assert cluster.root.exists()
        assert cluster.proc is not None
        cluster.proc.kill()  # the server gone, its folder left behind
        cluster.proc.wait(timeout=10)
        assert remove_left_clusters(tmp_path, now=later) == [cluster.root]
        assert not cluster.root.exists()
    finally:
        cluster.stop()
