"""Running the hub: in the foreground (`counter hub`) or in a thread (tests, benchmarks)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette


@dataclass
class RunningHub:
    server: uvicorn.Server
    thread: threading.Thread
    url: str

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on sockets that say they are TCP;
    # without it every reply waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(256)
    return sock


def serve_in_thread(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> RunningHub:
    """Start uvicorn on a (random) loopback port in a daemon thread; wait until it listens."""
    sock = bind(host, port)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        backlog=256,
        # The boards' event streams never end by themselves: do not wait for them to stop.
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="queue-hub", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the queue hub did not start")
        time.sleep(0.01)
    real_host, real_port = sock.getsockname()[:2]
    return RunningHub(server, thread, f"http://{real_host}:{real_port}")
