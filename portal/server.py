"""Running the portal: settings with embedded defaults, uvicorn, and a threaded server for tests."""

from __future__ import annotations

import socket
import threading
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import uvicorn

from portal.app import Limits, create_app
from portal.storage import SQLiteStorage

DEFAULT_CONFIG = """\
# Built-in defaults of counter-portal; pass --config FILE to override any of them.
[server]
host = "127.0.0.1"
port = 8700

[storage]
backend = "sqlite"
path = "./portal-data/portal.db"

[limits]
max_batch = 500
max_body_bytes = 4194304
max_pull = 500
"""


@dataclass(frozen=True)
class PortalSettings:
    host: str = "127.0.0.1"
    port: int = 8700
    db_path: Path = Path("portal-data/portal.db")
    limits: Limits = field(default_factory=Limits)


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
    if raw["storage"]["backend"] != "sqlite":
        raise ValueError("storage.backend: only 'sqlite' is available in this version")
    settings = PortalSettings(
        host=raw["server"]["host"],
        port=int(raw["server"]["port"]),
        db_path=Path(raw["storage"]["path"]),
        limits=Limits(**{k: int(v) for k, v in raw["limits"].items()}),
    )
    clean = {k: v for k, v in overrides.items() if v is not None}
    return replace(settings, **clean)


def open_storage(settings: PortalSettings) -> SQLiteStorage:
    return SQLiteStorage(settings.db_path)


def serve(settings: PortalSettings) -> None:
    """Run the portal in the foreground until interrupted."""
    storage = open_storage(settings)
    try:
        app = create_app(storage, settings.limits)
        config = uvicorn.Config(
            app, host=settings.host, port=settings.port, log_level="warning", access_log=False
        )
        uvicorn.Server(config).run()
    finally:
        storage.close()


class ThreadedPortal:
    """A real uvicorn server on 127.0.0.1 and a free port, in a thread (tests, benchmarks)."""

    def __init__(self, db_path: Path | str, limits: Limits | None = None, port: int = 0):
        self.storage = SQLiteStorage(db_path)
        self.app = create_app(self.storage, limits)
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
