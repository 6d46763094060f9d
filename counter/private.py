"""Owner-only files: the store, its WAL, exports, the portal's and the hub's databases.

What citizens hand over at the counter (names, ID numbers, phones) must not be readable by
every user of the PC. Directories get 0700, files 0600. SQLite gives its `-wal`, `-shm` and
journal files the mode of the database file, so a database created (or tightened) here before
it is opened keeps all of them owner-only. Entry points also set `umask(0o077)` so files made
by libraries (previews, logs) are private too; the explicit modes here hold even without it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
UMASK = 0o077


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it owner-only.

    A shared folder is never narrowed: one with the sticky bit (/tmp, /var/tmp) or owned by
    another user. A database put straight into /tmp once made /tmp 0700 for the whole
    machine, and every other user's program that writes there failed."""
    path.mkdir(parents=True, exist_ok=True)
    st = path.stat()
    if st.st_mode & stat.S_ISVTX or st.st_uid != os.getuid():
        return path
    _chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Make `path` exist and be owner-only, before anyone writes secrets into it.

    An existing file is only chmod-ed, never opened: closing any descriptor of an SQLite
    database drops every POSIX lock this process holds on it, so a second Store opened in a
    process whose first one is live (a worker's) would let another process's last connection
    take the database for unused, checkpoint and delete the WAL the first one still writes to:
    its commits would vanish for every other reader."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE))
    _chmod(path, FILE_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing file or directory owner-only (a no-op if it is gone)."""
    with contextlib.suppress(FileNotFoundError):
        _chmod(path, DIR_MODE if path.is_dir() else FILE_MODE)


def private_database(path: Path) -> Path:
    """Prepare an SQLite file and its companions (WAL, SHM, journal) as owner-only."""
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(path.with_name(path.name + suffix))
    return path


def is_private(path: Path) -> bool:
    """No permission bit for the group or others."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def _chmod(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        os.chmod(path, mode)
