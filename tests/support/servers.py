"""Servers that tests and benchmarks start as child processes: one way to start them, wait
for them, stop them, and have them go when whoever started them goes.

A run killed from outside (a CI time-out, a second Ctrl+C, kill -9 of an xdist worker or of
a benchmark) runs no `finally` and no atexit. A portal, a hub or a PostgreSQL it started
then kept its port and its files for ever: one workstation had 49 clusters left in /tmp,
up to 660 MB each. Every child started here asks Linux for a signal when the thread that
started it ends (PR_SET_PDEATHSIG, set between fork and exec), so it stops by itself.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded before any fork: the child only calls it


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn`: the child gets `sig` when the thread that started it ends, however
    it ends. Set after Popen's `user=`/`group=` switch, which would clear it."""

    def set_signal() -> None:
        if _LIBC.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")

    return set_signal


def python_env() -> dict[str, str]:
    """The environment a project module runs in from a child process."""
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def start_server(
    args: Sequence[str],
    *,
    ready: Sequence[str],
    what: str,
    env: dict[str, str] | None = None,
    stdout: int | IO[Any] | None = subprocess.DEVNULL,
    stderr: int | IO[Any] | None = subprocess.PIPE,
    timeout: float = 30.0,
    **popen: Any,
) -> subprocess.Popen[bytes]:
    """Start `args` in the project's folder and return once every URL of `ready` answers
    (any HTTP answer below 500), in order. A server that exits first, or is not ready within
    `timeout` seconds, is stopped and raises with the end of what it wrote to stderr."""
    proc = subprocess.Popen(
        list(args),
        cwd=ROOT,
        env=env if env is not None else python_env(),
        stdout=stdout,
        stderr=stderr,
        preexec_fn=die_with_parent(),
        **popen,
    )
    pending = list(ready)
    deadline = time.monotonic() + timeout
    while pending:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}): {_stderr_tail(proc)}")
        if time.monotonic() > deadline:
            stop_server(proc)
            raise RuntimeError(f"{what} did not answer {pending[0]} in {timeout:.0f} s")
        try:
            if httpx.get(pending[0], timeout=2).status_code < 500:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return proc


def start_hub(db: Path, config: Path, timeout: float = 30.0) -> tuple[subprocess.Popen[bytes], int]:
    """The queue hub in its own process, as `counter hub` runs it, once it answers; and its
    port."""
    port = free_port()
    proc = start_server(
        [sys.executable, "-c", "import sys; from portal.hub import main; main(sys.argv[1:])",
         "--port", str(port), "--db", str(db), "--config", str(config)],
        ready=[f"http://127.0.0.1:{port}/api/ping"], what="the hub", timeout=timeout,
    )  # fmt: skip
    return proc, port


def stop_server(proc: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _stderr_tail(proc: subprocess.Popen[bytes]) -> str:
    if proc.stderr is None:
        return ""
    return proc.stderr.read().decode(errors="replace")[-3000:]
