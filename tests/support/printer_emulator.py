"""A raw-9100 receipt printer emulated at its wire protocol, on 127.0.0.1, for tests.

It misbehaves the way real network printers do. Modes:

- "ok": reads the whole job, then closes when the sender does (what port-9100 printers do);
- "keep_open": reads the whole job but never closes its side (common ESC/POS interfaces);
- "reset": accepts, then drops the connection with a RST before reading anything;
- "reset_mid_job": reads `cut_after` bytes of the job, then resets;
- "stall": accepts and never reads nor closes;
- "stall_then_read": reads nothing for `stall_seconds`, then everything the kernel still holds
  for it (with a small receive buffer, like the few KB of a real printer's interface);
- "paper_out": answers the paper-sensor query (DLE EOT 4) with "roll end", prints nothing;
- "paper_out_mid_job": paper present at first, "roll end" after `cut_after` bytes printed;
- any mode with `rate` (bytes a second) reads no faster than that (a thermal printer's pace).

With `answers_status` the printer answers every DLE EOT n it reads, at once (a real-time
command, even inside raster data), as Epson-class printers do; without it the queries are just bytes. `jobs` holds what
each connection put on paper, the leading and trailing status queries left out; `raw` the
bytes as received. The listener stops itself when the test ends.
"""

from __future__ import annotations

import socket
import struct
import threading
import time

PAPER_STATUS = b"\x10\x04\x04"
STATUS_QUERIES = tuple(b"\x10\x04" + bytes([n]) for n in range(1, 5))  # DLE EOT 1–4
PAPER_OK = b"\x12"
PAPER_END = b"\x72"
MODES = (
    "ok",
    "keep_open",
    "reset",
    "reset_mid_job",
    "stall",
    "stall_then_read",
    "paper_out",
    "paper_out_mid_job",
)


def _rst(conn: socket.socket) -> None:
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


class EmulatedPrinter:
    def __init__(
        self,
        mode: str = "ok",
        *,
        answers_status: bool = True,
        rate: float | None = None,
        stall_seconds: float = 0.0,
        cut_after: int = 8192,
        receive_buffer: int | None = None,
    ):
        assert mode in MODES, mode
        self.mode = mode
        self.answers_status = answers_status
        self.rate = rate
        self.stall_seconds = stall_seconds
        self.cut_after = cut_after
        self.raw: list[bytearray] = []
        self.connections = 0
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if receive_buffer is None and mode == "stall_then_read":
            receive_buffer = 4096
        if receive_buffer:  # inherited by accepted connections; sets the advertised window
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._read_done = threading.Condition(self._lock)
        self._readers = 0  # connections being read
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def jobs(self) -> list[bytes]:
        """What reached paper, one entry per connection that printed anything."""
        out = []
        with self._lock:
            received = [bytes(r) for r in self.raw]
        for data in received:
            if self.answers_status:
                data = data.removeprefix(PAPER_STATUS).removesuffix(PAPER_STATUS)
            if data:
                out.append(data)
        return out

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            mode = self.mode
            if mode == "reset":
                _rst(conn)
            elif mode == "stall":
                self._held.append(conn)
            else:
                self._held.append(conn)
                with self._lock:
                    self._readers += 1
                threading.Thread(target=self._read, args=(conn, mode), daemon=True).start()

    def _read(self, conn: socket.socket, mode: str) -> None:
        paper = bytearray()
        with self._lock:
            self.raw.append(paper)
        if mode == "stall_then_read":
            self._stop.wait(self.stall_seconds)
        conn.settimeout(30)
        tail = b""
        out_of_paper = mode == "paper_out"
        chunk_size = 65536 if self.rate is None else max(1, int(self.rate / 20))
        try:
            while not self._stop.is_set():
                if self.rate is not None:
                    time.sleep(chunk_size / self.rate)
                chunk = conn.recv(chunk_size)
                if not chunk:
                    break
                seen = tail + chunk
                answers = sum(seen.count(query) - tail.count(query) for query in STATUS_QUERIES)
                tail = seen[-2:]
                if mode in ("paper_out_mid_job", "reset_mid_job") and len(paper) >= self.cut_after:
                    if mode == "reset_mid_job":
                        _rst(conn)
                        return
                    out_of_paper = True
                if not out_of_paper:
                    with self._lock:
                        paper += chunk
                if self.answers_status or mode == "paper_out":
                    for _ in range(answers):
                        conn.sendall(PAPER_END if out_of_paper else PAPER_OK)
            if mode == "keep_open":
                self._stop.wait()
        except OSError:
            return
        finally:
            if mode != "keep_open" or self._stop.is_set():
                conn.close()
            with self._lock:
                self._readers -= 1
                self._read_done.notify_all()

    def wait_read(self, connections: int = 1, timeout: float = 5.0) -> bool:
        """Wait until `connections` have connected and each was read to its end (the sender
        closed, or the printer gave up); whether that happened within `timeout`."""
        with self._lock:
            return self._read_done.wait_for(
                lambda: self.connections >= connections and self._readers == 0, timeout
            )

    def close(self) -> None:
        self._stop.set()
        for conn in self._held:
            conn.close()
        self._sock.close()
        self._thread.join(2)
