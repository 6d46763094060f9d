"""A second Store in a process never drops the first one's locks (its commits stay visible).

Closing any descriptor of an SQLite file drops every POSIX lock the process holds on it; if
opening a Store did that, another process's last connection would take the database for
unused, checkpoint and delete the WAL the first Store still writes to (the pty tests saw saved
dossiers vanish for every other reader).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from counter.store import Store

_COUNT = (
    "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
    "c.execute('PRAGMA journal_mode = WAL'); "
    "print(c.execute('SELECT count(*) FROM settings').fetchone()[0]); c.close()"
)


def _count_elsewhere(path: Path) -> int:
    out = subprocess.run(
        [sys.executable, "-c", _COUNT, str(path)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip())


def test_commits_stay_visible_to_other_processes_after_a_second_store(tmp_path: Path) -> None:
    path = tmp_path / "counter.db"
    first = Store(path)
    try:
        before = _count_elsewhere(path)
        second = Store(path)  # a worker's own Store, opened while the first is live
        second.close()
        _count_elsewhere(path)  # another process's last connection closes
        first.set_setting("probe", "1")
        assert _count_elsewhere(path) == before + 1
    finally:
        first.close()
