"""A raw-9100 receipt printer emulated at its wire protocol, on 127.0.0.1, for tests.

Modes: "ok" reads the whole job then closes (what real port-9100 printers do); "reset" accepts
then drops the connection with a RST before reading; "stall" accepts and never reads or closes;
"paper_out" answers the paper-sensor query (DLE EOT 4) with "roll end" and receives nothing.
With `answers_status`, "ok" answers that query too (paper present), as Epson printers do.
Every connection's bytes are kept; the listener stops itself when the test ends.
"""

from __future__ import annotations

import socket
import struct
import threading

PAPER_STATUS = b"\x10\x04\x04"


class EmulatedPrinter:
    def __init__(self, mode: str = "ok", *, answers_status: bool = True):
        self.mode = mode
        self.answers_status = answers_status
        self.jobs: list[bytes] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(8)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self.mode == "reset":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                conn.close()
            elif self.mode == "stall":
                self._held.append(conn)
            else:
                threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        chunks = []
        conn.settimeout(10)
        try:
            if self.mode == "paper_out" or self.answers_status:
                query = conn.recv(3)
                if query == PAPER_STATUS:
                    conn.sendall(b"\x72" if self.mode == "paper_out" else b"\x12")
                else:
                    chunks.append(query)
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except OSError:
            return
        finally:
            conn.close()
        if self.mode != "paper_out":
            self.jobs.append(b"".join(chunks))

    def close(self) -> None:
        self._stop.set()
        for conn in self._held:
            conn.close()
        self._sock.close()
        self._thread.join(2)
