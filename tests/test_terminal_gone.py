"""The app quits when its terminal goes away, even when no hang-up signal reaches it.

Started through `make run`, a closed window or dropped SSH session left the app spinning a
core on end-of-file with the store open. Here the app runs for real in a pseudo-terminal with
SIGHUP ignored (what `make` in between amounts to); the terminal is then closed.
"""

from __future__ import annotations

import fcntl
import os
import select
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_app_quits_when_its_terminal_is_closed(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[counter]\ndata_dir = "{tmp_path / "data"}"\ndemo_data = false\n'
        f'[printer]\ntransport = "preview"\ntarget = "{tmp_path / "p"}"\n',
        encoding="utf-8",
    )
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, b"\x18\x00\x50\x00\x00\x00\x00\x00")  # 24×80

    def own_terminal() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)

    proc = subprocess.Popen(
        [sys.executable, "-c", "from counter_cli import main; main()", "--config", str(cfg)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=ROOT,
        env={**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(ROOT)},
        preexec_fn=own_terminal,
    )
    os.close(slave)
    try:
        screen = b""
        deadline = time.monotonic() + 30
        while "Đăng nhập".encode() not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                screen += os.read(master, 65536)
        assert "Đăng nhập".encode() in screen, "the login screen was never drawn"
        time.sleep(2.5)  # a few checks with the terminal there: the app stays
        assert proc.poll() is None
        os.close(master)  # the window closes; SIGHUP is ignored
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
