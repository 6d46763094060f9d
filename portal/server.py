"""Running the portal: settings with embedded defaults, uvicorn, and a threaded server for tests.

The database is chosen by `[storage] url` (or `COUNTER_PORTAL_DATABASE_URL`): a
`postgresql://…` URL selects PostgreSQL (city scale, several workers), anything else the
SQLite file at `[storage] path`. `[server] workers` > 1 runs uvicorn with that many worker
processes (PostgreSQL recommended: every piece of state, the rate limit included, is in the
database, so the workers behave as one portal). Environment overrides, for deployments and
tests: `COUNTER_PORTAL_CONFIG` (a TOML file), `COUNTER_PORTAL_DATABASE_URL`,
`COUNTER_PORTAL_ADMIN_TOKEN`.
"""

from __future__ import annotations

import os
import socket
import threading
import tomllib
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from portal.app import Limits, check_admin_token, create_app
from portal.serving import freeze_startup_objects, short_gil_turns
from portal.storage import SQLiteStorage, SQLStorage
from portal.witness import WITNESS_KEY_FILE, load_witness_key

DEFAULT_CONFIG = """\
# Built-in defaults of counter-portal; pass --config FILE to override any of them.
[server]
host = "127.0.0.1"
port = 8700
# uvicorn worker processes; more than 1 wants PostgreSQL
workers = 1
# worker processes of their own for the counters' sync API, on `api_port`, at a lower CPU
# priority (`api_nice`, 0-19): a push, the portal's heaviest request, then never runs in the
# process that serves a citizen's page. Point the counters' `[portal] url` (or the balancer's
# /api/ route) at api_port; the `workers` on `port` still answer everything. 0: no split
api_workers = 0
api_port = 8701
api_nice = 10

[storage]
# "sqlite" (the file at `path`) or "postgresql" (at `url`); a postgresql:// url wins
backend = "sqlite"
path = "./portal-data/portal.db"
url = ""
# connections per worker (PostgreSQL)
pool_size = 10
# seconds a worker may reuse a device (its secret) to verify receipt tokens; 0: never
device_cache_seconds = 10

[security]
# bearer token of the back-office API (/api/v1/admin/…), at least 24 characters
# (python3 -c 'import secrets; print(secrets.token_urlsafe())'); empty: that API is off
admin_token = ""
# key of the hashes of client addresses (rate limit); empty: one is made per installation
# and kept in the database (or set COUNTER_PORTAL_HASH_KEY)
hash_key = ""
# the portal's Ed25519 witness key (signs the counters' audit heads), made owner-only on
# first start; empty: witness-key.pem beside the SQLite file. Keep it with the database's
# backups, and the same file for every worker
witness_key_path = ""
# failed receipt lookups free of delay per client address, and per code prefix (agency and
# day, from any address); after them each failure waits twice as long as the last (1 s, 2 s,
# 4 s … up to lookup_window_minutes; a count quiet for twice that is forgotten). Receipts that
# verify are never refused: a centre's citizens behind one address are not locked out.
lookup_max_failures = 10
lookup_max_prefix_failures = 100
lookup_window_minutes = 15

[retention]
# `counter-portal purge` (run it daily) deletes dossiers closed (refused, withdrawn, stopped,
# returned) this many days ago, with their timeline and rating; the counter keeps its own
closed_dossier_days = 365
# and empties the ingest log's payloads older than this (retries are answered from the hash)
ingest_payload_days = 7

[limits]
max_batch = 500
max_body_bytes = 4194304
max_pull = 500
max_form_bytes = 16384
"""
ENV_CONFIG = "COUNTER_PORTAL_CONFIG"
ENV_DATABASE_URL = "COUNTER_PORTAL_DATABASE_URL"
ENV_ADMIN_TOKEN = "COUNTER_PORTAL_ADMIN_TOKEN"
ENV_HASH_KEY = "COUNTER_PORTAL_HASH_KEY"


@dataclass(frozen=True)
class PortalSettings:
    host: str = "127.0.0.1"
    port: int = 8700
    db_path: Path = Path("portal-data/portal.db")
    limits: Limits = field(default_factory=Limits)
    database_url: str = ""
    workers: int = 1
    api_workers: int = 0
    api_port: int = 8701
    api_nice: int = 10
    pool_size: int = 10
    device_cache_seconds: float = 10.0
    admin_token: str = ""
    hash_key: str = ""
    closed_dossier_days: float = 365
    ingest_payload_days: float = 7
    lookup_max_failures: int = 10
    lookup_max_prefix_failures: int = 100
    lookup_window_minutes: float = 15
    witness_key_path: Path | None = None

    @property
    def witness_key_file(self) -> Path:
        """The witness key's file: as configured, else beside the SQLite database."""
        return self.witness_key_path or self.db_path.parent / WITNESS_KEY_FILE


def load_settings(path: Path | str | None = None, **overrides: Any) -> PortalSettings:
    """The embedded defaults, then the file (if any), then command-line overrides."""
    raw = tomllib.loads(DEFAULT_CONFIG)
    if path is not None:
        extra = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        for section, values in extra.items():
            if section not in raw or not isinstance(values, dict):
                raise ValueError(f"{path}: unknown section [{section}]")
            unknown = set(values) - set(raw[section])
            if unknown:
                raise ValueError(f"{path}: unknown keys in [{section}]: {', '.join(unknown)}")
            raw[section].update(values)
    url = os.environ.get(ENV_DATABASE_URL) or str(raw["storage"]["url"])
    backend = str(raw["storage"]["backend"])
    if is_postgres_url(url):
        backend = "postgresql"
    if backend not in ("sqlite", "postgresql"):
        raise ValueError("storage.backend: 'sqlite' or 'postgresql'")
    if backend == "postgresql" and not is_postgres_url(url):
        raise ValueError("storage.url: PostgreSQL needs a postgresql:// URL")
    settings = PortalSettings(
        host=raw["server"]["host"],
        port=int(raw["server"]["port"]),
        db_path=Path(raw["storage"]["path"]),
        limits=Limits(**{k: int(v) for k, v in raw["limits"].items()}),
        database_url=url if backend == "postgresql" else "",
        workers=int(raw["server"]["workers"]),
        api_workers=int(raw["server"]["api_workers"]),
        api_port=int(raw["server"]["api_port"]),
        api_nice=int(raw["server"]["api_nice"]),
        pool_size=int(raw["storage"]["pool_size"]),
        device_cache_seconds=float(raw["storage"]["device_cache_seconds"]),
        admin_token=os.environ.get(ENV_ADMIN_TOKEN) or str(raw["security"]["admin_token"]),
        hash_key=os.environ.get(ENV_HASH_KEY) or str(raw["security"]["hash_key"]),
        closed_dossier_days=float(raw["retention"]["closed_dossier_days"]),
        ingest_payload_days=float(raw["retention"]["ingest_payload_days"]),
        lookup_max_failures=int(raw["security"]["lookup_max_failures"]),
        lookup_max_prefix_failures=int(raw["security"]["lookup_max_prefix_failures"]),
        lookup_window_minutes=float(raw["security"]["lookup_window_minutes"]),
        witness_key_path=Path(raw["security"]["witness_key_path"])
        if raw["security"]["witness_key_path"]
        else None,
    )
    check_admin_token(settings.admin_token)
    if settings.closed_dossier_days < 1 or settings.ingest_payload_days < 1:
        raise ValueError("retention: closed_dossier_days and ingest_payload_days are at least 1")
    clean = {k: v for k, v in overrides.items() if v is not None}
    if "db_path" in clean and "database_url" not in clean and not os.environ.get(ENV_DATABASE_URL):
        clean["database_url"] = ""  # --db names a SQLite file
    settings = replace(settings, **clean)
    check_api_split(settings)
    return settings


def check_api_split(settings: PortalSettings) -> None:
    """Refuse an API split that cannot run (ValueError), before any process starts."""
    if settings.workers < 1:
        raise ValueError("server.workers: at least 1")
    if settings.api_workers < 0:
        raise ValueError("server.api_workers: 0 (no split) or more")
    if not 0 <= settings.api_nice <= 19:
        raise ValueError("server.api_nice: 0-19")
    if settings.api_workers:
        if not 0 < settings.api_port < 65536:
            raise ValueError("server.api_port: 1-65535")
        if settings.api_port == settings.port:
            raise ValueError("server.api_port: another port than server.port")
        if not hasattr(socket, "SO_REUSEPORT"):
            raise ValueError("server.api_workers needs SO_REUSEPORT (Linux, BSD)")


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def open_storage(settings: PortalSettings) -> SQLStorage:
    """The storage the settings name: PostgreSQL for a postgresql:// URL, else SQLite."""
    storage: SQLStorage
    if settings.database_url:
        from portal.pg import PostgresStorage  # psycopg is needed only at city scale

        storage = PostgresStorage(settings.database_url, max_size=settings.pool_size)
    else:
        storage = SQLiteStorage(settings.db_path)
    storage.lookup_max_failures = settings.lookup_max_failures
    storage.lookup_max_prefix_failures = settings.lookup_max_prefix_failures
    storage.lookup_window = timedelta(minutes=settings.lookup_window_minutes)
    storage.device_cache_seconds = settings.device_cache_seconds
    if settings.hash_key:
        storage.load_hash_key(settings.hash_key)
    return storage


def build_app(
    settings: PortalSettings, storage: SQLStorage, *, close_storage: bool = False
) -> Starlette:
    return create_app(
        storage,
        settings.limits,
        admin_token=settings.admin_token,
        on_shutdown=storage.close if close_storage else None,
        witness_key=load_witness_key(settings.witness_key_file),
    )


def asgi_app() -> Starlette:
    """`uvicorn --factory portal.server:asgi_app`: the app from `COUNTER_PORTAL_CONFIG` and the
    environment; each worker process builds its own (and its own connection pool)."""
    from counter.logs import setup_stderr_logging

    setup_stderr_logging(("portal",))
    short_gil_turns()
    settings = load_settings(os.environ.get(ENV_CONFIG) or None)
    storage = open_storage(settings)
    app = build_app(settings, storage, close_storage=True)
    freeze_startup_objects()
    return app


def serve(settings: PortalSettings, config_path: Path | None = None) -> None:
    """Run the portal in the foreground until interrupted."""
    from counter.logs import setup_stderr_logging

    setup_stderr_logging(("portal",))
    if settings.workers > 1 or settings.api_workers:
        # Worker processes rebuild the app from the environment: pass the settings on.
        if config_path is not None:
            os.environ[ENV_CONFIG] = str(config_path.resolve())
        if settings.database_url:
            os.environ[ENV_DATABASE_URL] = settings.database_url
        if hasattr(socket, "SO_REUSEPORT"):
            api = (settings.api_port, settings.api_workers, settings.api_nice)
            serve_reuseport(settings.host, settings.port, settings.workers, api=api)
        else:
            uvicorn.run(
                "portal.server:asgi_app",
                factory=True,
                host=settings.host,
                port=settings.port,
                workers=settings.workers,
                log_level="warning",
                access_log=False,
            )
        return
    short_gil_turns()  # (worker processes set it in `asgi_app`)
    storage = open_storage(settings)
    try:
        app = build_app(settings, storage)
        freeze_startup_objects()
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level="warning", access_log=False
        )
        uvicorn.Server(config).run()
    finally:
        storage.close()


def _reuseport_worker(host: str, port: int, nice: int = 0) -> None:
    """One worker process: its own listening socket on the shared port (SO_REUSEPORT), at
    `nice` (an API worker yields the CPU to the page workers when both want it)."""
    if nice:
        os.nice(nice)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    config = uvicorn.Config(
        "portal.server:asgi_app",
        factory=True,
        log_level="warning",
        access_log=False,
    )
    uvicorn.Server(config).run(sockets=[sock])


def serve_reuseport(
    host: str, port: int, workers: int, *, api: tuple[int, int, int] = (0, 0, 0)
) -> None:
    """`workers` uvicorn processes, each with its own socket bound with SO_REUSEPORT.

    uvicorn's own `--workers` shares one listening socket: whichever worker wakes first
    accepts, so keep-alive connections pile up unevenly (11 against 189 of wrk's 200 was
    seen), and the busier worker's clients wait. With a socket per worker the kernel spreads
    new connections over them by a hash of the client address and port. A worker that dies
    is started again; SIGINT or SIGTERM stops them all (each finishes its requests).

    `api` = (port, workers, nice): that many more processes of the same app on their own port,
    niced, for the counters' sync API (issue #18). A push is the portal's heaviest request
    (a write transaction of a dozen statements and JSON work, in a thread that contends for
    the GIL with the event loop); in a process of its own it never delays a citizen's page,
    and at a lower priority it takes the CPU the pages leave. The counters retry and sync
    every 15 s, so their rounds absorb the wait instead of the citizen.
    """
    import multiprocessing
    import signal

    ctx = multiprocessing.get_context("spawn")
    stopping = threading.Event()

    def stop(signum: int, frame: object) -> None:
        stopping.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)

    api_port, api_workers, api_nice = api
    roles = [(port, 0)] * workers + [(api_port, api_nice)] * api_workers

    def start(role: tuple[int, int]) -> multiprocessing.process.BaseProcess:
        proc = ctx.Process(target=_reuseport_worker, args=(host, *role), daemon=False)
        proc.start()
        return proc

    procs = [start(role) for role in roles]
    print(f"counter-portal: {workers} workers (SO_REUSEPORT) on {host}:{port}", flush=True)
    if api_workers:
        print(
            f"counter-portal: {api_workers} sync API workers on {host}:{api_port} "
            f"(nice {api_nice})",
            flush=True,
        )
    try:
        while not stopping.wait(0.5):
            for i, proc in enumerate(procs):
                if not proc.is_alive() and not stopping.is_set():
                    procs[i] = start(roles[i])
    finally:
        for proc in procs:
            if proc.is_alive() and proc.pid is not None:
                os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.join(timeout=15)
            if proc.is_alive():
                proc.kill()
                proc.join()


class ThreadedPortal:
    """A real uvicorn server on 127.0.0.1 and a free port, in a thread (tests, benchmarks).

    `db` is a SQLite path or a postgresql:// URL.
    """

    def __init__(
        self,
        db: Path | str,
        limits: Limits | None = None,
        port: int = 0,
        *,
        admin_token: str = "",
        lookup_max_failures: int = 10,
        lookup_max_prefix_failures: int = 100,
        witness_key_path: Path | None = None,
    ):
        settings = PortalSettings(
            limits=limits or Limits(),
            admin_token=admin_token,
            lookup_max_failures=lookup_max_failures,
            lookup_max_prefix_failures=lookup_max_prefix_failures,
            witness_key_path=witness_key_path,
        )
        if isinstance(db, str) and is_postgres_url(db):
            if witness_key_path is None:  # no SQLite file to sit beside: a folder of this run
                import tempfile

                self._key_dir = tempfile.TemporaryDirectory(prefix="portal-witness-")
                witness_key_path = Path(self._key_dir.name) / WITNESS_KEY_FILE
            settings = replace(settings, database_url=db, witness_key_path=witness_key_path)
        else:
            settings = replace(settings, db_path=Path(db))
        self.storage = open_storage(settings)
        self.app = build_app(settings, self.storage)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )

    def start(self) -> ThreadedPortal:
        self.thread.start()
        while not self.server.started:
            if not self.thread.is_alive():
                raise RuntimeError("the portal did not start")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()
        self.storage.close()

    def __enter__(self) -> ThreadedPortal:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
