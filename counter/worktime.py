"""Working-time arithmetic for legal deadlines (hẹn trả): office hours, holidays, swaps.

Deadlines in Vietnamese administrative procedures run only inside office hours on working days
(DOMAIN §4), so every due date, pause and "late" flag goes through one calendar. Public holidays
come from the `holidays` package; the government's late swaps (extra days off, make-up working
Saturdays) come from the per-year override table in the configuration.

All moments are timezone-aware and handled in Asia/Ho_Chi_Minh (no DST, so wall-clock
arithmetic is exact); naive datetimes are refused because they hide offset bugs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Literal

from counter.config import HolidayOverrides, OfficeHours
from counter.timeutil import VN_TZ, to_vn

DurationUnit = Literal["working_days", "working_hours", "calendar_days"]
DURATION_UNITS: tuple[str, ...] = ("working_days", "working_hours", "calendar_days")

EXTRA_DAY_OFF_NAME = "Ngày nghỉ bổ sung"

# A calendar with no working day at all would loop forever; ten years is a generous bound.
_MAX_SEARCH_DAYS = 3660

_ONE_DAY = timedelta(days=1)


class WorkCalendar:
    """Office hours + public holidays + configured swaps: the clock legal deadlines run on."""

    def __init__(self, hours: OfficeHours, overrides: Mapping[int, HolidayOverrides] | None = None):
        if not (
            hours.morning_start < hours.morning_end <= hours.afternoon_start < hours.afternoon_end
        ):
            raise ValueError(
                "office hours must satisfy morning_start < morning_end <= afternoon_start "
                "< afternoon_end"
            )
        self.hours = hours
        self._weekdays = frozenset(hours.weekdays)
        # Flatten every year's table: a date's own year decides nothing the date itself doesn't.
        days_off: set[date] = set()
        working: set[date] = set()
        for table in (overrides or {}).values():
            days_off |= table.days_off
            working |= table.working_days
        self._extra_days_off = frozenset(days_off)
        self._makeup_days = frozenset(working)
        self._periods: tuple[tuple[time, time], ...] = (
            (hours.morning_start, hours.morning_end),
            (hours.afternoon_start, hours.afternoon_end),
        )
        self._day_length = sum(
            (
                datetime.combine(date.min, e) - datetime.combine(date.min, s)
                for s, e in self._periods
            ),
            timedelta(),
        )
        self._holiday_cache: dict[int, dict[date, str]] = {}

    # -- days ---------------------------------------------------------------------------------

    def _library_holidays(self, year: int) -> dict[date, str]:
        """Holidays of one year from the `holidays` package, built once per year (it is slow)."""
        cached = self._holiday_cache.get(year)
        if cached is None:
            import holidays  # here, not at the top: it costs ~25 ms of start-up before login

            cal = holidays.country_holidays("VN", years=year, language="vi")
            cached = {d: str(name) for d, name in cal.items()}
            self._holiday_cache[year] = cached
        return cached

    def is_working_day(self, day: date) -> bool:
        """Config days off win, then config make-up days, then library holidays, then weekdays."""
        if day in self._extra_days_off:
            return False
        if day in self._makeup_days:
            return True
        if day in self._library_holidays(day.year):
            return False
        return day.isoweekday() in self._weekdays

    def holiday_name(self, day: date) -> str | None:
        """The Vietnamese name of the day off shown to officers; None on a make-up working day."""
        if day in self._makeup_days and day not in self._extra_days_off:
            return None
        name = self._library_holidays(day.year).get(day)
        if name is not None:
            return name
        if day in self._extra_days_off:
            return EXTRA_DAY_OFF_NAME
        return None

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        current = day
        for _ in range(_MAX_SEARCH_DAYS):
            current += _ONE_DAY
            if self.is_working_day(current):
                return current
        raise ValueError(f"no working day within {_MAX_SEARCH_DAYS} days after {day.isoformat()}")

    def _first_working_day_from(self, day: date) -> date:
        """`day` itself if it is a working day, else the next one."""
        return day if self.is_working_day(day) else self.next_working_day(day)

    # -- moments ------------------------------------------------------------------------------

    @staticmethod
    def _at(day: date, t: time) -> datetime:
        return datetime.combine(day, t, tzinfo=VN_TZ)

    @property
    def minutes_per_day(self) -> int:
        """One full working day (morning + afternoon): the unit that turns days into minutes."""
        return self._day_length // timedelta(minutes=1)

    def roll_forward(self, moment: datetime) -> datetime:
        """The first working moment >= `moment`: lunch goes to the afternoon, closing to tomorrow."""
        m = to_vn(moment)
        day = m.date()
        if self.is_working_day(day):
            now = m.time()
            for start, end in self._periods:
                if now < start:
                    return self._at(day, start)
                if now < end:
                    return m
        return self._at(self.next_working_day(day), self.hours.morning_start)

    def start_of_count(self, received: datetime, cutoff: time | None) -> datetime:
        """Where the clock starts; after the procedure's cut-off it starts next working morning."""
        r = to_vn(received)
        if cutoff is not None and self.is_working_day(r.date()) and r.time() > cutoff:
            return self._at(self.next_working_day(r.date()), self.hours.morning_start)
        return self.roll_forward(r)

    def add_working_minutes(self, start: datetime, minutes: int) -> datetime:
        """Advance through working time only; landing on a period end (12:00, 17:00) stays there."""
        if minutes < 0:
            raise ValueError(f"minutes must be >= 0, got {minutes}")
        cur = self.roll_forward(start)
        remaining = timedelta(minutes=minutes)
        day = cur.date()
        # Finish the (possibly partial) first day period by period.
        for ps, pe in self._periods:
            end = self._at(day, pe)
            if cur >= end:
                continue
            begin = max(cur, self._at(day, ps))
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
        # Whole days are skipped in O(1) each; the last day is walked period by period.
        while True:
            day = self.next_working_day(day)
            if remaining > self._day_length:
                remaining -= self._day_length
                continue
            for ps, pe in self._periods:
                begin, end = self._at(day, ps), self._at(day, pe)
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin

    def working_minutes_between(self, a: datetime, b: datetime) -> int:
        """Whole working minutes in [a, b); 0 if b <= a."""
        a, b = to_vn(a), to_vn(b)
        if b <= a:
            return 0
        total = timedelta()
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                opens = self._at(day, self.hours.morning_start)
                closes = self._at(day, self.hours.afternoon_end)
                if a <= opens and closes <= b:
                    total += self._day_length
                else:
                    for ps, pe in self._periods:
                        lo = max(a, self._at(day, ps))
                        hi = min(b, self._at(day, pe))
                        if hi > lo:
                            total += hi - lo
            day += _ONE_DAY
        return total // timedelta(minutes=1)

    # -- deadlines ----------------------------------------------------------------------------

    def due_at(
        self, received: datetime, amount: float, unit: str, cutoff: time | None = None
    ) -> datetime:
        """The due moment (hẹn trả) of a dossier received at `received` (DOMAIN §4)."""
        if unit not in DURATION_UNITS:
            raise ValueError(
                f"unknown duration unit {unit!r}: expected one of {', '.join(DURATION_UNITS)}"
            )
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise ValueError(f"duration amount must be a number, got {amount!r}")
        if not math.isfinite(amount) or amount < 0:
            raise ValueError(f"duration amount must be a finite number >= 0, got {amount!r}")
        received = to_vn(received)
        if unit == "calendar_days":
            return self._calendar_due(received, amount)
        start = self.start_of_count(received, cutoff)
        minutes = round(amount * (60 if unit == "working_hours" else self.minutes_per_day))
        if minutes == 0:  # "trong ngày": by closing time of the day the clock starts
            return self._at(start.date(), self.hours.afternoon_end)
        return self.open_moment(self.add_working_minutes(start, minutes))

    def open_moment(self, moment: datetime) -> datetime:
        """An appointment the citizen can keep: a closing minute (12:00, 17:00) moves to the
        start of the next working period (DOMAIN §4, "our rules at the edges")."""
        m = to_vn(moment)
        if self.is_working_day(m.date()) and any(m.time() == end for _, end in self._periods):
            return self.roll_forward(m)
        return m

    def _calendar_due(self, received: datetime, amount: float) -> datetime:
        """Civil Code 2015 art. 147(2)/148(5): skip the first day; a day off ends next working day.

        The period counts from the date the clock starts (roll_forward): the receipt date, or
        the next working day for a receipt after closing or on a day off (DOMAIN §4; this also
        keeps the due after the receipt). The per-procedure cut-off does not move it.
        """
        if amount != int(amount):
            raise ValueError(f"calendar days must be a whole number, got {amount!r}")
        day = self.roll_forward(received).date()
        last = self._first_working_day_from(day + timedelta(days=int(amount)))
        return self._at(last, self.hours.afternoon_end)

    def extend_for_pause(
        self, due: datetime, paused_at: datetime, resumed_at: datetime
    ) -> datetime:
        """A supplement request (Mẫu 02) pauses the clock: push the due by the working time lost."""
        due, paused_at, resumed_at = to_vn(due), to_vn(paused_at), to_vn(resumed_at)
        if resumed_at < paused_at:
            raise ValueError("resumed_at is before paused_at")
        lost = self.working_minutes_between(paused_at, resumed_at)
        if lost == 0:
            return due
        return self.open_moment(self.add_working_minutes(due, lost))

    def extended_due(self, new_day: date) -> datetime:
        """The new appointment of a Mẫu 04 (apology and new date): the morning opening of
        `new_day`, so the citizen can come any time that day; refused on a day off."""
        if not self.is_working_day(new_day):
            raise ValueError(f"{new_day:%d/%m/%Y} is not a working day")
        return self._at(new_day, self.hours.morning_start)

    def finish_status(self, finished: datetime, due: datetime) -> str:
        """Return early / on_time / late: the DATE of finishing against the due date (DOMAIN §4).

        Kept for callers holding a calendar; the rule itself is `counter.timeliness`."""
        from counter.timeliness import finish_status

        return finish_status(finished, due)
