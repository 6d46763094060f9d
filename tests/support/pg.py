"""A private PostgreSQL cluster for the tests: initdb in a temp dir, 127.0.0.1, a free port.

Debian's `postgresql` package provides the binaries (/usr/lib/postgresql/<ver>/bin);
`.ci/run` installs it. initdb and postgres refuse to run as root, so as root they run as the
`postgres` OS user. The server runs as a child of the process that started it, not
daemonised by `pg_ctl`: it shuts down fast by itself when that process ends, even killed
(`tests.support.servers.die_with_parent`), and `PgCluster.stop()` removes its folder. The
folders such a killed run left are removed by the next run. Without PostgreSQL the tests
that need it are skipped on a developer's machine and FAIL under CI (CI=true).
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, NoReturn

import pytest

from tests.support.servers import die_with_parent, free_port


def pg_bindir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_version_key)
    return Path(found[-1]).parent if found else None


def _version_key(path: str) -> float:
    try:
        return float(Path(path).parts[-3])
    except ValueError:
        return 0.0


PREFIX = "counter-pg-"
LEFT_AFTER_S = 600  # a folder this old with no server running was left by a killed run


def remove_left_clusters(under: Path | None = None, now: float | None = None) -> list[Path]:
    """Remove the folders of clusters whose run was killed before it could remove them:
    older than LEFT_AFTER_S and no live server named in their postmaster.pid (a concurrent
    run's cluster, starting or serving, is left alone). Returns what was removed."""
    now = time.time() if now is None else now
    removed = []
    for root in (under or Path(tempfile.gettempdir())).glob(f"{PREFIX}*"):
        try:
            if now - root.stat().st_mtime < LEFT_AFTER_S or _server_alive(root / "data"):
                continue
        except OSError:
            continue
        shutil.rmtree(root, ignore_errors=True)
        removed.append(root)
    return removed


def _server_alive(data: Path) -> bool:
    try:
        pid = int((data / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class PgCluster:
    def __init__(self, bindir: Path, parent: Path | None = None):
        remove_left_clusters(parent)
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else os.environ.get("USER", "postgres")

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120)

    def start(self) -> PgCluster:
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            self.user,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        as_user: dict[str, Any] = {}
        if self.as_root:
            as_user = {"user": "postgres", "group": "postgres", "extra_groups": []}
        settings = {
            "listen_addresses": "127.0.0.1",
            "unix_socket_directories": str(self.root),
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "300",
        }
        command = [str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port)]
        for name, value in settings.items():
            command += ["-c", f"{name}={value}"]
        with (self.root / "log").open("wb") as log:
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent(signal.SIGINT),  # SIGINT: PostgreSQL's fast shutdown
                **as_user,
            )
        deadline = time.monotonic() + 60
        while self._run_status("pg_isready", "-h", "127.0.0.1", "-p", str(self.port)) != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"PostgreSQL did not start: {self.log_tail()}")
            time.sleep(0.1)
        return self

    def _run_status(self, *args: str) -> int:
        return subprocess.run(
            [str(self.bindir / args[0]), *args[1:]], capture_output=True
        ).returncode

    def log_tail(self) -> str:
        try:
            return (self.root / "log").read_text(errors="replace")[-2000:]
        except OSError:
            return ""

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; its URL."""
        name = name or f"t_{uuid.uuid4().hex[:12]}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, name)
        return self.url(name)

    def url(self, name: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: clients cut, no wait
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def require_postgres() -> Path:
    """PostgreSQL's binaries; skip (fail under CI) when PostgreSQL or psycopg is missing."""
    bindir = pg_bindir()
    if bindir is None:
        _missing("PostgreSQL is not installed (apt-get install -y postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _missing("psycopg is not installed (pip install 'psycopg[binary,pool]')")
    assert bindir is not None
    return bindir


def _missing(message: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def start_cluster_or_skip() -> PgCluster:
    """Start a private cluster; skip (fail under CI) when PostgreSQL is not installed."""
    return PgCluster(require_postgres()).start()


_CLUSTER: PgCluster | None = None


def shared_cluster() -> PgCluster:
    """One private cluster per test process, stopped when the process exits."""
    global _CLUSTER
    if _CLUSTER is None:
        import atexit

        _CLUSTER = start_cluster_or_skip()
        atexit.register(_CLUSTER.stop)
    return _CLUSTER


@pytest.fixture(scope="session")
def pg_cluster() -> PgCluster:
    return shared_cluster()


@pytest.fixture(params=["sqlite", "postgresql"])
def portal_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test portal keeps its data: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "portal" / "portal.db")
    return shared_cluster().create_database()
