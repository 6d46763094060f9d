"""A fault-injecting HTTP proxy on 127.0.0.1, shared by the sync fault tests and bench_sync.

It understands just enough HTTP/1.1 (head + Content-Length body) to misbehave per request,
with faults drawn from a seeded RNG, so a failing run replays. In a test it runs in a thread
(`FaultProxy`); the bench runs it in its own process so it does not share the counter's CPU:

    python -m tests.support.fault_proxy --upstream PORT --port PORT --seed 13 lost_answer=0.1

which prints "ready" once it listens and serves until killed.
"""

from __future__ import annotations

import argparse
import random
import socket
import threading
import time


def read_message(sock: socket.socket, buf: bytearray) -> bytes | None:
    """One HTTP/1.1 message (head + Content-Length body) from `sock`, or None at EOF."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head_end = buf.index(b"\r\n\r\n") + 4
    length = 0
    for line in bytes(buf[:head_end]).split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buf) < head_end + length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    message = bytes(buf[: head_end + length])
    del buf[: head_end + length]
    return message


class FaultProxy:
    """A real TCP proxy on 127.0.0.1 that understands just enough HTTP to misbehave per request.

    Faults, drawn from a seeded RNG: drop the request; answer 503 without forwarding; forward
    and answer 500 (applied, but the counter is told it failed); forward and cut the response
    mid-way; forward and never answer (lost_answer, off by default); forward twice (duplicate); forward now and replay it later (a stale duplicate
    arriving after newer requests: reordering); delay; hold it past the client's timeout and
    deliver it late anyway.
    """

    FAULTS: tuple[tuple[str, float], ...] = (
        ("drop", 0.07),
        ("503", 0.05),
        ("500_after", 0.06),
        ("cut", 0.08),
        ("duplicate", 0.08),
        ("replay_later", 0.08),
        ("delay", 0.08),
        ("late", 0.03),
    )

    def __init__(
        self,
        upstream_port: int,
        seed: int,
        *,
        late_seconds: float = 1.3,
        faults: tuple[tuple[str, float], ...] | None = None,
        port: int = 0,
    ):
        self.upstream = ("127.0.0.1", upstream_port)
        self.faults = self.FAULTS if faults is None else faults
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.enabled = True
        self.late_seconds = late_seconds
        self.counts: dict[str, int] = {}
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.inflight = 0  # requests being handled or replayed
        self.idle = threading.Condition(self.lock)
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _busy(self, delta: int) -> None:
        with self.lock:
            self.inflight += delta
            self.idle.notify_all()

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _draw(self) -> str:
        with self.lock:
            if not self.enabled:
                return "pass"
            r = self.rng.random()
            for name, p in self.faults:
                if r < p:
                    self.counts[name] = self.counts.get(name, 0) + 1
                    return name
                r -= p
            return "pass"

    def _forward(self, request: bytes) -> bytes | None:
        try:
            with socket.create_connection(self.upstream, timeout=30) as up:
                up.sendall(request)
                return read_message(up, bytearray())
        except OSError:
            return None

    def _replay(self, request: bytes, delay: float) -> None:
        try:
            time.sleep(delay)
            self._forward(request)
        finally:
            self._busy(-1)

    def _serve(self, conn: socket.socket) -> None:
        buf = bytearray()
        with conn:
            while True:
                try:
                    request = read_message(conn, buf)
                except OSError:
                    return
                if request is None:
                    return
                fault = self._draw()
                self._busy(+1)
                try:
                    if fault == "drop":
                        return
                    if fault == "503":
                        conn.sendall(plain_response(503, b"Service Unavailable"))
                        return
                    if fault == "delay":
                        time.sleep(self.rng.uniform(0.02, 0.3))
                    if fault == "late":
                        time.sleep(self.late_seconds)  # the client has given up by now
                        self._forward(request)
                        return
                    if fault == "duplicate":
                        self._forward(request)
                    if fault == "replay_later":
                        self._busy(+1)
                        threading.Thread(
                            target=self._replay,
                            args=(request, self.rng.uniform(0.05, 1.0)),
                            daemon=True,
                        ).start()
                    response = self._forward(request)
                    if response is None:
                        return
                    if fault == "500_after":
                        conn.sendall(plain_response(500, b"Internal Server Error"))
                        return
                    if fault == "lost_answer":  # the portal did the work; no answer comes
                        return
                    if fault == "cut":
                        conn.sendall(response[: max(1, len(response) // 2)])
                        return
                    conn.sendall(response)
                except OSError:
                    return
                finally:
                    self._busy(-1)

    def settle(self) -> None:
        """Stop injecting faults and wait for stale replays still in flight."""
        with self.lock:
            self.enabled = False
            assert self.idle.wait_for(lambda: self.inflight == 0, timeout=15)

    def close(self) -> None:
        self.closed = True
        self.listener.close()


def plain_response(status: int, text: bytes) -> bytes:
    reason = {500: b"Internal Server Error", 503: b"Service Unavailable"}[status]
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: text/plain\r\ncontent-length: %d\r\n"
        b"connection: close\r\n\r\n%s" % (status, reason, len(text), text)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("faults", nargs="*", help="NAME=PROBABILITY; none: the default mix")
    args = parser.parse_args(argv)
    faults = tuple((n, float(p)) for n, _, p in (f.partition("=") for f in args.faults))
    known = {name for name, _ in FaultProxy.FAULTS} | {"lost_answer"}
    unknown = sorted({n for n, _ in faults} - known)
    if unknown:
        parser.error(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    proxy = FaultProxy(args.upstream, args.seed, faults=faults or None, port=args.port)
    print("ready", proxy.url, flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
