"""The centre's public profile: who the citizen deals with, where, when and how to call.

The counter builds it from its config (`[agency]` name, centre, address, hotline;
`[office_hours]`; holidays and the configured swaps) and sends it to the portal at enrollment
and whenever it changes (`counter.sync`); the portal keeps one per device, so a city portal
serving many centres shows each receipt's page its own office. Both sides use this module:
one definition of the format, one validation.

The format (JSON object, version 1):

    {"v": 1, "agency_name": "UBND phường Hoàn Kiếm", "centre_name": "Trung tâm …",
     "address": "Số 126 Hàng Trống, …", "hotline": "1900 1234",
     "hours": [["08:00", "12:00"], ["13:00", "17:00"]], "weekdays": [1, 2, 3, 4, 5],
     "years": [2026, 2027], "closed": {"2026-04-27": "Giỗ Tổ Hùng Vương"},
     "open": ["2026-08-22"]}

`closed` lists the usual working weekdays that are days off in `years` (holidays, the
configured days off), `open` the other days that are worked (make-up Saturdays): the portal
needs no holiday library of its own and agrees with the counter's calendar. Outside `years`
it falls back to `weekdays`.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from counter.config import HOTLINE_RE, Config
from counter.worktime import WorkCalendar

PROFILE_VERSION = 1
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_LIMITS = {"agency_name": 200, "centre_name": 200, "address": 300, "hotline": 20}
_MAX_DAYS = 400  # closed + open entries: two years of holidays with room to spare
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ProfileError(ValueError):
    """A profile the portal refuses, with a message that names the field."""


@dataclass(frozen=True)
class CentreProfile:
    agency_name: str = ""
    centre_name: str = ""
    address: str = ""
    hotline: str = ""
    hours: tuple[tuple[str, str], ...] = ()
    weekdays: frozenset[int] = frozenset()
    years: frozenset[int] = frozenset()
    closed: dict[str, str] = field(default_factory=dict)
    open: frozenset[str] = frozenset()

    @property
    def tel(self) -> str:
        """The hotline as a `tel:` target: digits and a leading +."""
        return ("+" if self.hotline.startswith("+") else "") + re.sub(r"\D", "", self.hotline)

    def is_open_on(self, day: date) -> bool:
        key = day.isoformat()
        if day.year in self.years:
            if key in self.closed:
                return False
            if key in self.open:
                return True
        return day.isoweekday() in self.weekdays

    def day_off_name(self, day: date) -> str:
        """Why a usual working day is off ('' when it is not a known day off)."""
        return self.closed.get(day.isoformat(), "") if day.year in self.years else ""

    def next_open_day(self, day: date, horizon: int = 31) -> date | None:
        """The first day strictly after `day` the centre is open, within `horizon` days."""
        for n in range(1, horizon + 1):
            if self.is_open_on(day + timedelta(days=n)):
                return day + timedelta(days=n)
        return None

    def as_json(self) -> dict[str, Any]:
        """The profile in its wire format, with only the known fields (what the portal keeps:
        unknown keys a client adds are not stored)."""
        return {
            "v": PROFILE_VERSION,
            "agency_name": self.agency_name,
            "centre_name": self.centre_name,
            "address": self.address,
            "hotline": self.hotline,
            "hours": [list(p) for p in self.hours],
            "weekdays": sorted(self.weekdays),
            "years": sorted(self.years),
            "closed": dict(sorted(self.closed.items())),
            "open": sorted(self.open),
        }

    @property
    def hours_text(self) -> str:
        """ "08:00–12:00, 13:00–17:00"."""
        return ", ".join(f"{a}–{b}" for a, b in self.hours)


def build_profile(config: Config, today: date) -> dict[str, Any]:
    """The profile of this counter's centre for this year and the next (see the module)."""
    a, h = config.agency, config.office_hours
    calendar = WorkCalendar(h, config.holidays)
    weekdays = sorted(set(h.weekdays))
    closed: dict[str, str] = {}
    opened: list[str] = []
    years = [today.year, today.year + 1]
    day = date(years[0], 1, 1)
    while day.year <= years[-1]:
        working = calendar.is_working_day(day)
        usual = day.isoweekday() in weekdays
        if usual and not working:
            closed[day.isoformat()] = calendar.holiday_name(day) or ""
        elif working and not usual:
            opened.append(day.isoformat())
        day += timedelta(days=1)
    return {
        "v": PROFILE_VERSION,
        "agency_name": a.name,
        "centre_name": a.centre,
        "address": a.address,
        "hotline": a.hotline,
        "hours": [
            [h.morning_start.strftime("%H:%M"), h.morning_end.strftime("%H:%M")],
            [h.afternoon_start.strftime("%H:%M"), h.afternoon_end.strftime("%H:%M")],
        ],
        "weekdays": weekdays,
        "years": years,
        "closed": closed,
        "open": opened,
    }


def profile_hash(profile: dict[str, Any]) -> str:
    """What the counter remembers to know whether the portal has this profile already."""
    text = json.dumps(profile, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _text(raw: dict[str, Any], key: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise ProfileError(f"profile.{key}: expected text")
    value = value.strip()
    if len(value) > _LIMITS[key]:
        raise ProfileError(f"profile.{key}: at most {_LIMITS[key]} characters")
    if _CONTROL.search(value):
        raise ProfileError(f"profile.{key}: control characters are not allowed")
    return value


def _iso_day(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise ProfileError(f"{where}: expected a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ProfileError(f"{where}: expected a date YYYY-MM-DD, got {value[:20]!r}") from None


def parse_profile(raw: Any) -> CentreProfile:
    """Validate a profile as received; ProfileError says which field is wrong and why."""
    if not isinstance(raw, dict):
        raise ProfileError("profile: expected a JSON object")
    if raw.get("v") != PROFILE_VERSION:
        raise ProfileError(f"profile.v: expected {PROFILE_VERSION}")
    texts = {k: _text(raw, k) for k in _LIMITS}
    if not texts["agency_name"]:
        raise ProfileError("profile.agency_name: must not be empty")
    if texts["hotline"] and not HOTLINE_RE.fullmatch(texts["hotline"]):
        raise ProfileError("profile.hotline: expected a phone number, e.g. 1900 1234")
    hours = raw.get("hours")
    if not isinstance(hours, list) or not 1 <= len(hours) <= 4:
        raise ProfileError("profile.hours: expected 1–4 [start, end] pairs")
    periods: list[tuple[str, str]] = []
    last = ""
    for i, pair in enumerate(hours):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not all(isinstance(t, str) and _HHMM.fullmatch(t) for t in pair)
        ):
            raise ProfileError(f'profile.hours[{i}]: expected ["HH:MM", "HH:MM"]')
        if not last <= pair[0] < pair[1]:
            raise ProfileError(f"profile.hours[{i}]: periods must follow each other in the day")
        periods.append((pair[0], pair[1]))
        last = pair[1]
    weekdays = raw.get("weekdays")
    if (
        not isinstance(weekdays, list)
        or not all(isinstance(d, int) and not isinstance(d, bool) for d in weekdays)
        or not set(weekdays) <= set(range(1, 8))
    ):
        raise ProfileError("profile.weekdays: expected ISO weekdays 1–7")
    years = raw.get("years", [])
    if (
        not isinstance(years, list)
        or len(years) > 3
        or not all(
            isinstance(y, int) and not isinstance(y, bool) and 2000 <= y <= 2100 for y in years
        )
    ):
        raise ProfileError("profile.years: expected up to 3 years")
    closed_raw, open_raw = raw.get("closed", {}), raw.get("open", [])
    if not isinstance(closed_raw, dict) or not isinstance(open_raw, list):
        raise ProfileError("profile.closed must be an object and profile.open a list")
    if len(closed_raw) + len(open_raw) > _MAX_DAYS:
        raise ProfileError(f"profile: at most {_MAX_DAYS} closed and open days")
    closed: dict[str, str] = {}
    for key, name in closed_raw.items():
        day = _iso_day(key, "profile.closed")
        if not isinstance(name, str) or len(name) > 100 or _CONTROL.search(name):
            raise ProfileError(f"profile.closed[{day}]: expected a name of at most 100 characters")
        closed[day] = name.strip()
    opened = frozenset(_iso_day(d, "profile.open") for d in open_raw)
    return CentreProfile(
        agency_name=texts["agency_name"],
        centre_name=texts["centre_name"],
        address=texts["address"],
        hotline=texts["hotline"],
        hours=tuple(periods),
        weekdays=frozenset(weekdays),
        years=frozenset(years),
        closed=closed,
        open=opened,
    )
