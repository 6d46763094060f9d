"""The real counter app in a real pseudo-terminal, driven by bytes as a terminal sends them.

Pilot posts one key event at a time and waits between them; a terminal hands the app a whole
burst in one read. Tests of dropped or misrouted keys therefore run the app here: `counter` in
its own process, with a pty of a chosen size, a reader thread that keeps the pty drained (and
keeps what was drawn), and a store the test can read afterwards.
"""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

ROOT = Path(__file__).resolve().parents[2]

F2 = "\x1bOQ"
F12 = "\x1b[24~"
ESC = "\x1b"
TAB = "\t"
ENTER = "\r"
CTRL_S = "\x13"
CTRL_X = "\x18"

_MAIN = "from counter_cli import main; main()"


def write_config(tmp_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\ndemo_data = false\nnumber = 3\n'
        f'[printer]\ntransport = "preview"\ntarget = "{tmp_path / "receipts"}"\n',
        encoding="utf-8",
    )
    return cfg


class PtyApp:
    """`counter --config CFG` in a pty of `cols`×`rows`; use as a context manager."""

    def __init__(self, config: Path, cols: int = 80, rows: int = 24) -> None:
        self.config = config
        self.cols, self.rows = cols, rows
        self.output = bytearray()
        self._lock = threading.Lock()
        self.proc: subprocess.Popen[bytes] | None = None
        self.master = -1

    def __enter__(self) -> PtyApp:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", self.rows, self.cols, 0, 0))

        def own_terminal() -> None:
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)}
        env.pop("TEXTUAL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _MAIN, "--config", str(self.config)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=ROOT,
            env=env,
            preexec_fn=own_terminal,
        )
        os.close(slave)
        self.master = master
        threading.Thread(target=self._drain, daemon=True).start()
        return self

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self.output += chunk

    def drawn(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", "replace")

    def screen(self) -> str:
        """What the terminal shows now (pyte replays everything drawn so far)."""
        import pyte

        term = pyte.Screen(self.cols, self.rows)
        stream = pyte.ByteStream(term)
        with self._lock:
            stream.feed(bytes(self.output))
        return "\n".join(line.rstrip() for line in term.display)

    def wait_shown(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` is on the screen (not merely drawn once and overwritten)."""
        try:
            self.wait_for(lambda: text in self.screen(), timeout)
        except AssertionError:
            raise AssertionError(f"{text!r} never shown; the screen:\n{self.screen()}") from None

    def mark(self) -> int:
        with self._lock:
            return len(self.output)

    def drawn_since(self, mark: int) -> str:
        with self._lock:
            return bytes(self.output[mark:]).decode("utf-8", "replace")

    def send(self, text: str) -> None:
        """All of `text` in one write: the app reads it as one burst."""
        os.write(self.master, text.encode("utf-8"))

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the app exited: {self.drawn()[-2000:]}")
            time.sleep(0.05)
        raise AssertionError(
            f"condition not reached in the real terminal; the screen:\n{self.screen()}"
        )

    def wait_drawn(self, text: str, since: int = 0, timeout: float = 30.0) -> None:
        self.wait_for(lambda: text in self.drawn_since(since), timeout)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.proc is not None
        if self.proc.poll() is None:
            os.write(self.master, b"\x11")  # ctrl+q
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)
