"""Time for the counter: always Asia/Ho_Chi_Minh, always timezone-aware.

A single clock function lets tests and the demo freeze time without monkeypatching datetime.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in Vietnam time."""
    return datetime.now(VN_TZ)


def to_vn(moment: datetime) -> datetime:
    """Convert an aware datetime to Vietnam time; refuse naive ones (they hide bugs)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: every moment must carry its offset")
    return moment.astimezone(VN_TZ)


def iso(moment: datetime) -> str:
    """ISO 8601 with the +07:00 offset, the form stored in SQLite and sent to the portal."""
    return to_vn(moment).isoformat(timespec="seconds")


def parse_iso(text: str) -> datetime:
    """Parse a stored timestamp back into Vietnam time."""
    return to_vn(datetime.fromisoformat(text))


_TIME_OF_DAY = re.compile(r"(\d{1,2}):(\d{2})")


def parse_time_of_day(value: object) -> time | None:
    """A clock time as configuration writes it: a TOML local time (08:00:00) or "H:MM" /
    "HH:MM" (spaces around ignored); None when it is neither. To the minute: office hours,
    issuing hours and cut-offs are set in minutes."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if isinstance(value, str):
        match = _TIME_OF_DAY.fullmatch(value.strip())
        if match:
            hour, minute = int(match.group(1)), int(match.group(2))
            if hour < 24 and minute < 60:
                return time(hour, minute)
    return None


def fmt_vn(moment: datetime, lang: str = "vi") -> str:
    """The way Vietnamese forms write a moment: '14 giờ 05 phút, ngày 26/11/2026' (in English
    '14:05, 26/11/2026'); always Vietnam time."""
    m = to_vn(moment)
    if lang == "en":
        return f"{m:%H:%M}, {m:%d/%m/%Y}"
    return f"{m:%H} giờ {m:%M} phút, ngày {m:%d/%m/%Y}"


def fmt_short(moment: datetime) -> str:
    """Compact '26/11/2026 14:05' for tables and status lines."""
    return f"{to_vn(moment):%d/%m/%Y %H:%M}"
