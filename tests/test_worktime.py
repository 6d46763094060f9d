"""The working-time calendar against the real 2025–2026 Vietnamese calendars (DOMAIN §4–5)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.config import HolidayOverrides, OfficeHours
from counter.timeutil import VN_TZ
from counter.worktime import DURATION_UNITS, WorkCalendar
from tests.support.config import CALENDAR_OVERRIDES


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar(OfficeHours(), CALENDAR_OVERRIDES)


# -- days -------------------------------------------------------------------------------------


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


@pytest.mark.parametrize(
    "day",
    [
        *_days(date(2025, 1, 27), date(2025, 1, 31)),  # Tết 2025
        date(2025, 4, 7),  # Giỗ Tổ 2025
        date(2025, 4, 30),
        date(2025, 5, 1),
        date(2025, 5, 2),  # off in exchange for Sat 26/4
        date(2025, 9, 1),
        date(2025, 9, 2),
        *_days(date(2026, 2, 16), date(2026, 2, 20)),  # Tết 2026
        date(2026, 4, 27),  # Giỗ Tổ on Sunday 26/4 -> Monday off
        date(2026, 4, 30),
        date(2026, 5, 1),
        date(2026, 8, 31),  # off in exchange for Sat 22/8
        date(2026, 9, 1),
        date(2026, 9, 2),
        date(2026, 11, 24),  # Ngày Văn hóa Việt Nam
    ],
)
def test_public_holidays_are_not_working_days(cal: WorkCalendar, day: date) -> None:
    assert not cal.is_working_day(day)
    assert cal.holiday_name(day)


@pytest.mark.parametrize(
    "day",
    [
        date(2025, 1, 24),  # Friday before Tết
        date(2025, 2, 3),  # Monday after Tết
        date(2025, 4, 8),
        date(2025, 4, 29),
        date(2025, 9, 3),
        date(2026, 2, 13),
        date(2026, 2, 23),
        date(2026, 4, 28),
        date(2026, 11, 25),
    ],
)
def test_ordinary_weekdays_work(cal: WorkCalendar, day: date) -> None:
    assert cal.is_working_day(day)
    assert cal.holiday_name(day) is None


def test_weekends_are_off(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(date(2025, 3, 8))  # Saturday
    assert not cal.is_working_day(date(2025, 3, 9))  # Sunday
    assert cal.holiday_name(date(2025, 3, 8)) is None


def test_makeup_saturdays_come_from_the_overrides() -> None:
    bare = WorkCalendar(OfficeHours())
    with_overrides = WorkCalendar(OfficeHours(), CALENDAR_OVERRIDES)
    for saturday in (date(2025, 4, 26), date(2026, 8, 22)):
        assert not bare.is_working_day(saturday)
        assert with_overrides.is_working_day(saturday)
        assert with_overrides.holiday_name(saturday) is None


def test_holiday_names_are_vietnamese(cal: WorkCalendar) -> None:
    assert "Tết Nguyên Đán" in (cal.holiday_name(date(2026, 2, 17)) or "")
    assert "Giỗ Tổ" in (cal.holiday_name(date(2025, 4, 7)) or "")
    assert "Quốc khánh" in (cal.holiday_name(date(2025, 9, 2)) or "")


def test_extra_days_off_from_config() -> None:
    extra = {2027: HolidayOverrides(days_off=frozenset({date(2027, 3, 15)}))}
    c = WorkCalendar(OfficeHours(), extra)
    assert not c.is_working_day(date(2027, 3, 15))
    assert c.holiday_name(date(2027, 3, 15)) == "Ngày nghỉ bổ sung"
    assert c.next_working_day(date(2027, 3, 12)) == date(2027, 3, 16)


def test_next_working_day(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)  # across Tết
    assert cal.next_working_day(date(2025, 4, 25)) == date(2025, 4, 26)  # make-up Saturday
    assert cal.next_working_day(date(2025, 4, 29)) == date(2025, 5, 5)
    assert cal.next_working_day(date(2026, 3, 2)) == date(2026, 3, 3)  # strictly after


# -- moments ----------------------------------------------------------------------------------


def test_roll_forward(cal: WorkCalendar) -> None:
    assert cal.roll_forward(vn(2026, 3, 2, 7, 10)) == vn(2026, 3, 2, 8)  # before opening
    assert cal.roll_forward(vn(2026, 3, 2, 9, 30)) == vn(2026, 3, 2, 9, 30)  # inside
    assert cal.roll_forward(vn(2026, 3, 2, 12)) == vn(2026, 3, 2, 13)  # lunch
    assert cal.roll_forward(vn(2026, 3, 2, 12, 40)) == vn(2026, 3, 2, 13)
    assert cal.roll_forward(vn(2026, 3, 2, 17)) == vn(2026, 3, 3, 8)  # closing
    assert cal.roll_forward(vn(2026, 3, 7, 10)) == vn(2026, 3, 9, 8)  # Saturday
    assert cal.roll_forward(vn(2026, 2, 13, 17, 30)) == vn(2026, 2, 23, 8)  # Tết


def test_other_offsets_are_converted_to_vietnam_time(cal: WorkCalendar) -> None:
    utc = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
    assert cal.roll_forward(utc) == vn(2026, 3, 2, 9, 30)


def test_naive_datetimes_are_refused(cal: WorkCalendar) -> None:
    naive = datetime(2026, 3, 2, 9)
    with pytest.raises(ValueError):
        cal.roll_forward(naive)
    with pytest.raises(ValueError):
        cal.due_at(naive, 1, "working_days")
    with pytest.raises(ValueError):
        cal.working_minutes_between(naive, vn(2026, 3, 3))
    with pytest.raises(ValueError):
        cal.finish_status(naive, vn(2026, 3, 3))


def test_start_of_count_cutoff(cal: WorkCalendar) -> None:
    cutoff = time(15, 0)
    assert cal.start_of_count(vn(2026, 3, 2, 14, 59), cutoff) == vn(2026, 3, 2, 14, 59)
    assert cal.start_of_count(vn(2026, 3, 2, 15, 0), cutoff) == vn(2026, 3, 2, 15, 0)
    assert cal.start_of_count(vn(2026, 3, 2, 15, 1), cutoff) == vn(2026, 3, 3, 8)
    assert cal.start_of_count(vn(2026, 3, 6, 15, 30), cutoff) == vn(2026, 3, 9, 8)  # Friday
    assert cal.start_of_count(vn(2026, 3, 2, 15, 30), None) == vn(2026, 3, 2, 15, 30)
    assert cal.start_of_count(vn(2026, 3, 2, 12, 30), cutoff) == vn(2026, 3, 2, 13)


def test_add_working_minutes_stays_on_period_end(cal: WorkCalendar) -> None:
    assert cal.add_working_minutes(vn(2026, 3, 2, 8), 240) == vn(2026, 3, 2, 12)
    assert cal.add_working_minutes(vn(2026, 3, 2, 8), 480) == vn(2026, 3, 2, 17)
    assert cal.add_working_minutes(vn(2026, 3, 2, 8), 481) == vn(2026, 3, 3, 8, 1)
    assert cal.add_working_minutes(vn(2026, 3, 2, 11, 30), 60) == vn(2026, 3, 2, 13, 30)
    with pytest.raises(ValueError):
        cal.add_working_minutes(vn(2026, 3, 2, 8), -1)


def test_working_minutes_between(cal: WorkCalendar) -> None:
    assert cal.working_minutes_between(vn(2026, 3, 2, 8), vn(2026, 3, 2, 17)) == 480
    assert cal.working_minutes_between(vn(2026, 3, 2, 11), vn(2026, 3, 2, 14)) == 120
    assert cal.working_minutes_between(vn(2026, 3, 6, 16), vn(2026, 3, 9, 9)) == 120  # weekend
    assert cal.working_minutes_between(vn(2026, 3, 2, 10), vn(2026, 3, 2, 9)) == 0
    assert cal.working_minutes_between(vn(2026, 2, 13, 8), vn(2026, 2, 23, 8)) == 480  # Tết


def test_minutes_per_day() -> None:
    assert WorkCalendar(OfficeHours()).minutes_per_day == 480
    short = OfficeHours(morning_start=time(7, 30), morning_end=time(11, 30))
    assert WorkCalendar(short).minutes_per_day == 480
    other = OfficeHours(
        morning_start=time(7, 0),
        morning_end=time(11, 30),
        afternoon_start=time(13, 30),
        afternoon_end=time(17, 0),
    )
    assert WorkCalendar(other).minutes_per_day == 480


# -- due dates --------------------------------------------------------------------------------


def test_working_days_simple(cal: WorkCalendar) -> None:
    assert cal.due_at(vn(2026, 3, 2, 9), 3, "working_days") == vn(2026, 3, 5, 9)
    # Never on the closing minute: a 1-day dossier from Monday 08:00 is due Tuesday 08:00.
    assert cal.due_at(vn(2026, 3, 2, 8), 1, "working_days") == vn(2026, 3, 3, 8)
    assert cal.due_at(vn(2026, 3, 5, 10), 3, "working_days") == vn(2026, 3, 10, 10)  # weekend


def test_working_days_across_tet(cal: WorkCalendar) -> None:
    # Fri 13/02/2026 10:00 + 3 working days: Tết 16–20/02 and two weekends are skipped.
    assert cal.due_at(vn(2026, 2, 13, 10), 3, "working_days") == vn(2026, 2, 25, 10)
    assert cal.due_at(vn(2025, 1, 24, 10), 1, "working_days") == vn(2025, 2, 3, 10)


def test_working_days_across_the_30_4_swap(cal: WorkCalendar) -> None:
    # Fri 25/4/2025 + 1 day lands on the make-up Saturday 26/4.
    assert cal.due_at(vn(2025, 4, 25, 10), 1, "working_days") == vn(2025, 4, 26, 10)
    # Tue 29/4/2025 + 1 day: 30/4, 1/5, 2/5 and the weekend are off -> Mon 5/5.
    assert cal.due_at(vn(2025, 4, 29, 10), 1, "working_days") == vn(2025, 5, 5, 10)
    # Without the override the Saturday does not count.
    bare = WorkCalendar(OfficeHours())
    assert bare.due_at(vn(2025, 4, 25, 10), 1, "working_days") == vn(2025, 4, 28, 10)


def test_working_days_across_national_day_2026(cal: WorkCalendar) -> None:
    # Fri 21/8/2026 + 1 day lands on the make-up Saturday 22/8.
    assert cal.due_at(vn(2026, 8, 21, 9), 1, "working_days") == vn(2026, 8, 22, 9)
    # Fri 28/8/2026 + 1 day: 31/8, 1/9, 2/9 off -> Thu 3/9.
    assert cal.due_at(vn(2026, 8, 28, 9), 1, "working_days") == vn(2026, 9, 3, 9)


def test_lunch_and_after_closing_receipts(cal: WorkCalendar) -> None:
    # Lunch counts from 13:00; a full day later lands on the morning's end -> 13:00.
    assert cal.due_at(vn(2026, 3, 2, 12, 15), 1, "working_days") == vn(2026, 3, 3, 13)
    assert cal.due_at(vn(2026, 3, 2, 17, 30), 1, "working_days") == vn(2026, 3, 4, 8)
    assert cal.due_at(vn(2026, 3, 6, 18), 2, "working_days") == vn(2026, 3, 11, 8)  # Friday
    assert cal.due_at(vn(2026, 3, 7, 9), 1, "working_days") == vn(2026, 3, 10, 8)  # Saturday


def test_cutoff_moves_the_start(cal: WorkCalendar) -> None:
    cutoff = time(15, 0)
    assert cal.due_at(vn(2026, 3, 2, 14), 1, "working_days", cutoff) == vn(2026, 3, 3, 14)
    assert cal.due_at(vn(2026, 3, 2, 15, 30), 1, "working_days", cutoff) == vn(2026, 3, 4, 8)
    assert cal.due_at(vn(2026, 3, 2, 15, 30), 1, "working_days") == vn(2026, 3, 3, 15, 30)
    # Same-day ("trong ngày") work received after the cut-off is due tomorrow evening.
    assert cal.due_at(vn(2026, 3, 2, 15, 30), 0, "working_days", cutoff) == vn(2026, 3, 3, 17)


def test_same_day(cal: WorkCalendar) -> None:
    assert cal.due_at(vn(2026, 3, 2, 9), 0, "working_days") == vn(2026, 3, 2, 17)
    assert cal.due_at(vn(2026, 3, 2, 17, 5), 0, "working_days") == vn(2026, 3, 3, 17)


def test_half_days(cal: WorkCalendar) -> None:
    assert cal.due_at(vn(2026, 3, 2, 8), 0.5, "working_days") == vn(2026, 3, 2, 13)
    assert cal.due_at(vn(2026, 3, 2, 10), 0.5, "working_days") == vn(2026, 3, 2, 15)
    assert cal.due_at(vn(2026, 3, 2, 15), 1.5, "working_days") == vn(2026, 3, 4, 10)


def test_working_hours(cal: WorkCalendar) -> None:
    assert cal.due_at(vn(2026, 3, 2, 8), 4, "working_hours") == vn(2026, 3, 2, 13)
    assert cal.due_at(vn(2026, 3, 2, 10), 4, "working_hours") == vn(2026, 3, 2, 15)
    assert cal.due_at(vn(2026, 3, 6, 16), 8, "working_hours") == vn(2026, 3, 9, 16)
    assert cal.due_at(vn(2026, 3, 2, 9), 1.5, "working_hours") == vn(2026, 3, 2, 10, 30)


def test_calendar_days(cal: WorkCalendar) -> None:
    # Mon 2/3/2026 + 5 days: the first day is not counted -> ends at closing on Sat 7/3,
    # a weekend day, so at closing on Mon 9/3.
    assert cal.due_at(vn(2026, 3, 2, 10), 5, "calendar_days") == vn(2026, 3, 9, 17)
    assert cal.due_at(vn(2026, 3, 2, 10), 3, "calendar_days") == vn(2026, 3, 5, 17)
    # Ends on 30/4/2026 (holiday), then 1/5 holiday and the weekend -> Mon 4/5.
    assert cal.due_at(vn(2026, 4, 20, 10), 10, "calendar_days") == vn(2026, 5, 4, 17)
    # Ends in Tết 2026 -> Mon 23/2.
    assert cal.due_at(vn(2026, 2, 9, 10), 7, "calendar_days") == vn(2026, 2, 23, 17)
    # Ends on the make-up Saturday 22/8/2026: a working day, so it ends there.
    assert cal.due_at(vn(2026, 8, 12, 10), 10, "calendar_days") == vn(2026, 8, 22, 17)


def test_calendar_days_received_on_a_day_off(cal: WorkCalendar) -> None:
    # Received on Saturday 7/3/2026: counts from Monday 9/3.
    assert cal.due_at(vn(2026, 3, 7, 10), 3, "calendar_days") == vn(2026, 3, 12, 17)
    # After closing on a working day: counts from the next working day.
    assert cal.due_at(vn(2026, 3, 2, 18), 3, "calendar_days") == vn(2026, 3, 6, 17)
    assert cal.due_at(vn(2026, 3, 2, 18), 0, "calendar_days") == vn(2026, 3, 3, 17)
    # The per-procedure cut-off does not move a calendar period.
    cutoff = time(15, 0)
    assert cal.due_at(vn(2026, 3, 2, 16), 3, "calendar_days", cutoff) == vn(2026, 3, 5, 17)


def test_due_at_rejects_bad_input(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="unit"):
        cal.due_at(vn(2026, 3, 2, 9), 1, "weeks")
    with pytest.raises(ValueError, match=">= 0"):
        cal.due_at(vn(2026, 3, 2, 9), -1, "working_days")
    with pytest.raises(ValueError, match="whole"):
        cal.due_at(vn(2026, 3, 2, 9), 1.5, "calendar_days")
    with pytest.raises(ValueError):
        cal.due_at(vn(2026, 3, 2, 9), float("nan"), "working_hours")
    assert set(DURATION_UNITS) == {"working_days", "working_hours", "calendar_days"}


def test_pause_extension_over_a_weekend(cal: WorkCalendar) -> None:
    due = vn(2026, 3, 11, 10)  # Wednesday
    # Paused Fri 6/3 16:00, resumed Mon 9/3 10:00: 1 h Friday + 2 h Monday = 3 working hours.
    new_due = cal.extend_for_pause(due, vn(2026, 3, 6, 16), vn(2026, 3, 9, 10))
    assert new_due == vn(2026, 3, 11, 14)
    # A pause entirely within a weekend changes nothing.
    assert cal.extend_for_pause(due, vn(2026, 3, 7, 9), vn(2026, 3, 8, 9)) == due
    # A due at closing moved by 1 h lands next working morning at 09:00.
    assert cal.extend_for_pause(vn(2026, 3, 6, 17), vn(2026, 3, 2, 8), vn(2026, 3, 2, 9)) == vn(
        2026, 3, 9, 9
    )
    with pytest.raises(ValueError):
        cal.extend_for_pause(due, vn(2026, 3, 9, 10), vn(2026, 3, 6, 16))


def test_finish_status(cal: WorkCalendar) -> None:
    due = vn(2026, 3, 5, 10)
    assert cal.finish_status(vn(2026, 3, 4, 16), due) == "early"
    assert cal.finish_status(vn(2026, 3, 5, 16), due) == "on_time"  # same date, later hour
    assert cal.finish_status(vn(2026, 3, 5, 8), due) == "on_time"
    assert cal.finish_status(vn(2026, 3, 6, 8), due) == "late"
    # Dates are Vietnam dates: 23:30 UTC on 4/3 is already 5/3 in Hà Nội.
    assert cal.finish_status(datetime(2026, 3, 4, 23, 30, tzinfo=UTC), due) == "on_time"


def test_due_at_is_fast(cal: WorkCalendar) -> None:
    # A year of working days is a few hundred day steps, not minute steps.
    due = cal.due_at(vn(2025, 1, 2, 9), 240, "working_days")
    assert due.year == 2025 and due > vn(2025, 12, 1)


# -- properties -------------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=VN_TZ))
PROPERTY_CAL = WorkCalendar(OfficeHours(), CALENDAR_OVERRIDES)


@settings(max_examples=200, deadline=None)
@given(
    received=moments,
    hours=st.integers(min_value=0, max_value=200),
    cutoff=st.sampled_from([None, time(15, 0)]),
)
def test_property_working_hours(received: datetime, hours: int, cutoff: time | None) -> None:
    cal = PROPERTY_CAL
    due = cal.due_at(received, hours, "working_hours", cutoff)
    assert due >= received
    start = cal.start_of_count(received, cutoff)
    assert start >= received
    if hours:
        assert cal.working_minutes_between(start, due) == hours * 60
    else:  # "trong ngày": the close of the day the clock starts
        assert due == datetime.combine(start.date(), time(17, 0), tzinfo=VN_TZ)


@settings(max_examples=200, deadline=None)
@given(
    received=moments,
    amount=st.sampled_from([0, 0.5, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30]),
    unit=st.sampled_from(DURATION_UNITS),
)
def test_property_due_after_receipt(received: datetime, amount: float, unit: str) -> None:
    if unit == "calendar_days" and amount != int(amount):
        return
    cal = PROPERTY_CAL
    due = cal.due_at(received, amount, unit)
    assert due >= received
    if unit == "working_days":
        start = cal.start_of_count(received, None)
        expected = amount * cal.minutes_per_day if amount else None
        if expected is not None:
            assert cal.working_minutes_between(start, due) == expected
    if unit == "calendar_days":
        assert due.time() == time(17, 0)
        assert cal.is_working_day(due.date())


@settings(max_examples=200, deadline=None)
@given(a=moments, b=moments, minutes=st.integers(min_value=0, max_value=20_000))
def test_property_add_and_between_are_inverse(a: datetime, b: datetime, minutes: int) -> None:
    cal = PROPERTY_CAL
    end = cal.add_working_minutes(a, minutes)
    assert end >= a
    assert cal.working_minutes_between(a, end) == minutes
    # The other way: adding the working time between a and b reaches b's working moment.
    if b >= a:
        gap = cal.working_minutes_between(a, b)
        reached = cal.add_working_minutes(a, gap)
        assert cal.working_minutes_between(reached, b) == 0
        assert cal.working_minutes_between(a, reached) == gap
        assert reached <= cal.roll_forward(b)
