"""One lateness rule everywhere: early / on time / late, due today / overdue (DOMAIN §4).

Timeliness compares **dates** in Asia/Ho_Chi_Minh, never moments: a dossier finished on its
due date is on time whatever the hour; an unfinished one is "đến hạn hôm nay" all through its
due date and "quá hạn" only from the next day. The dossier screen, the main list, the
supervisor figures, the Mẫu 07 book, the statistics workbook, the portal page and the sync
payload all ask this module, and the SQL fragments below state the same rule for the
aggregates (a property test holds the two to each other).

Only a dossier whose clock runs (received, processing) can be due or overdue: one waiting for
a supplement is paused (its due date moves when the clock resumes), and one refused,
withdrawn or stopped was never finished, so it is not judged at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from counter.i18n import TIMELINESS_LABELS, pick
from counter.timeutil import to_vn

Timeliness = Literal["early", "on_time", "late", "on_track", "due_today", "overdue"]

# Statuses whose legal clock runs (lifecycle.STATUSES[...].clock_running) and finished ones.
RUNNING: tuple[str, ...] = ("received", "processing")
FINISHED: tuple[str, ...] = ("result_ready", "returned")

LABELS = TIMELINESS_LABELS  # the words live in counter/i18n.py


def finish_status(finished: datetime, due: datetime) -> Timeliness:
    """A finished dossier: the date it finished against its due date."""
    done_day, due_day = to_vn(finished).date(), to_vn(due).date()
    if done_day < due_day:
        return "early"
    if done_day == due_day:
        return "on_time"
    return "late"


def open_status(due: datetime, now: datetime) -> Timeliness:
    """A running dossier: today's date against its due date."""
    today, due_day = to_vn(now).date(), to_vn(due).date()
    if today < due_day:
        return "on_track"
    if today == due_day:
        return "due_today"
    return "overdue"


def timeliness(
    status: str, due: datetime | None, finished: datetime | None, now: datetime
) -> Timeliness | None:
    """Where a dossier stands against its appointment; None when it is not judged (paused,
    closed without a result, or never given an appointment)."""
    if due is None:
        return None
    if status in FINISHED:
        return finish_status(finished or now, due)
    if status in RUNNING:
        return open_status(due, now)
    return None


def is_late(value: Timeliness | None) -> bool:
    """Late or overdue: what the screens colour red and the book notes as quá hạn."""
    return value in ("late", "overdue")


def label(value: Timeliness | None, lang: str = "vi") -> str:
    if value is None:
        return ""
    return pick(LABELS[value], lang)


# -- the same rule in SQL ------------------------------------------------------------------
# Over a `dossiers` row aliased `d` whose ISO timestamps carry +07:00, so their first ten
# characters are the Vietnam date; `:today` is today's Vietnam date (YYYY-MM-DD).


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


_DUE_DAY = "substr(d.due_at, 1, 10)"
_DONE_DAY = "substr(d.finished_at, 1, 10)"
SQL_HAS_DUE = "d.due_at <> ''"
SQL_FINISHED = f"(d.status IN {_in(FINISHED)} AND {SQL_HAS_DUE})"
SQL_RUNNING = f"(d.status IN {_in(RUNNING)} AND {SQL_HAS_DUE})"
SQL: dict[str, str] = {
    "early": f"({SQL_FINISHED} AND {_DONE_DAY} < {_DUE_DAY})",
    "on_time": f"({SQL_FINISHED} AND {_DONE_DAY} = {_DUE_DAY})",
    "late": f"({SQL_FINISHED} AND {_DONE_DAY} > {_DUE_DAY})",
    "on_track": f"({SQL_RUNNING} AND {_DUE_DAY} > :today)",
    "due_today": f"({SQL_RUNNING} AND {_DUE_DAY} = :today)",
    "overdue": f"({SQL_RUNNING} AND {_DUE_DAY} < :today)",
}
