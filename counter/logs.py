"""The log: one line per event, in a rotating file in the data folder (the portal: stderr).

Background work (sync, printing) fails where nobody looks; the log is where it is found
after a bad day (`counter doctor` shows the last errors). A line names dossiers by code or
UUID, never by a person: code that logs must not pass names, ID numbers or phones, and as a
second line of defence every line (the exception text too) goes through `redact`, which
masks what looks like a phone, an ID or tax number, or an e-mail address.

Standard `logging` only: modules log to `logging.getLogger("counter.<area>")`, and the
entry points (the app, the CLI, the portal) call `setup_file_logging` or `setup_stderr_logging`
once.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from datetime import datetime
from pathlib import Path

from counter.timeutil import VN_TZ

LOG_NAME = "counter.log"
MAX_BYTES = 2 * 1024 * 1024
BACKUPS = 7  # rotated files kept beside the current one

# A phone (+84 or 0, 9–11 digits, spaces/dots allowed), an ID or tax number (9–13 digits),
# an e-mail address. Digits inside a longer token (a UUID, a dossier code) are left alone.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NUMBER = re.compile(r"(?<![\w.-])(?:\+84|0)?(?:\d[ .]?){8,11}\d(?![\w-])")


def redact(text: str) -> str:
    """`text` with phones, ID numbers and e-mail addresses masked."""
    text = _EMAIL.sub("‹email›", text)
    return _NUMBER.sub("‹số›", text)


class RedactingFormatter(logging.Formatter):
    """ISO time in Asia/Ho_Chi_Minh, level, logger, message and exception, then `redact`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, VN_TZ).isoformat(timespec="seconds")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        # One line per event: an exception's traceback is folded onto its line.
        return redact(text).replace("\n", " ⏎ ")


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / "logs" / LOG_NAME


def _has_handler(logger: logging.Logger, marker: str) -> bool:
    return any(getattr(h, "_counter_marker", None) == marker for h in logger.handlers)


def setup_file_logging(data_dir: Path, level: int = logging.INFO) -> Path:
    """Log `counter.*`, `printing.*` and `screens.*` to the data folder's rotating file; the
    file's path. One file per process: a second call for another folder replaces the first."""
    path = log_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = f"file:{path.resolve()}"
    for name in ("counter", "printing", "screens"):
        logger = logging.getLogger(name)
        logger.setLevel(min(logger.level or level, level))
        if _has_handler(logger, marker):
            continue
        for old in [
            h for h in logger.handlers if str(getattr(h, "_counter_marker", "")).startswith("file:")
        ]:
            logger.removeHandler(old)
            old.close()
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
        handler.setFormatter(RedactingFormatter())
        handler._counter_marker = marker  # type: ignore[attr-defined]
        logger.addHandler(handler)
    return path


def setup_stderr_logging(names: tuple[str, ...] = ("portal",), level: int = logging.INFO) -> None:
    """The portal's log: one line per event on stderr (systemd's journal keeps it)."""
    for name in names:
        logger = logging.getLogger(name)
        logger.setLevel(level)
        if _has_handler(logger, "stderr"):
            continue
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RedactingFormatter())
        handler._counter_marker = "stderr"  # type: ignore[attr-defined]
        logger.addHandler(handler)


def last_errors(data_dir: Path, limit: int = 10) -> list[str]:
    """The newest WARNING and ERROR lines of the log (newest last), for `counter doctor`."""
    path = log_path(data_dir)
    files = [path.with_name(f"{LOG_NAME}.{i}") for i in range(BACKUPS, 0, -1)] + [path]
    found: list[str] = []
    for file in files:
        try:
            lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
        found += [ln for ln in lines if " ERROR " in ln or " WARNING " in ln]
    return found[-limit:]
