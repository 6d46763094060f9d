"""Quit when the terminal goes away.

When the window or SSH session an app runs in closes without a hang-up signal reaching the
app (seen when it is started through `make run`), Textual's input thread reads end-of-file in
a loop: the app spins a core forever and keeps the store open. Once a second the apps check
that their controlling terminal still exists; when it does not, they ask Textual to exit, and
since Textual's shutdown can block writing its last escape codes to the dead terminal, the
process ends itself a few seconds later. That loses nothing: every change was committed
durably when it was made (the crash tests kill the app at random moments), print jobs and
sync entries wait in the store.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from textual.app import App

CHECK_SECONDS = 1.0
GRACE_SECONDS = 3.0


def has_terminal() -> bool:
    """True while this process still has its controlling terminal."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def quit_when_terminal_closes(app: App[Any]) -> None:
    """Call from `on_mount` of an app that runs on a real terminal (not under tests)."""
    if not has_terminal():
        return

    ending = False

    def check() -> None:
        nonlocal ending
        if not ending and not has_terminal():
            ending = True
            ender = threading.Timer(GRACE_SECONDS, os._exit, (0,))
            ender.daemon = True
            ender.start()
            app.exit()

    app.set_interval(CHECK_SECONDS, check)
