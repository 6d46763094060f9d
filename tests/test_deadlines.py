"""DOMAIN §4 at every edge: the day, the week, the cut-off, the holidays; one lateness rule.

Examples pin each edge; properties hold the rules over two years of receipts at random
minutes; a property test holds the SQL the figures use to the Python rule the screens use.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter import stats, timeliness
from counter.config import OfficeHours
from counter.desk import Desk
from counter.timeutil import VN_TZ, iso
from counter.worktime import WorkCalendar
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock
from tests.support.config import CALENDAR_OVERRIDES

CAL = WorkCalendar(OfficeHours(), CALENDAR_OVERRIDES)
CUTOFF = time(15, 0)


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


# -- the edges of the day (Monday 2/3/2026), 1 working day --------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (vn(2026, 3, 2, 6, 30), vn(2026, 3, 3, 8)),  # before opening: clock starts 08:00
        (vn(2026, 3, 2, 8), vn(2026, 3, 3, 8)),  # the case: not Monday 17:00
        (vn(2026, 3, 2, 8, 1), vn(2026, 3, 3, 8, 1)),
        (vn(2026, 3, 2, 11, 59), vn(2026, 3, 3, 11, 59)),
        (vn(2026, 3, 2, 12), vn(2026, 3, 3, 13)),  # 12:00 is lunch: from 13:00, due at 13:00
        (vn(2026, 3, 2, 12, 30), vn(2026, 3, 3, 13)),
        (vn(2026, 3, 2, 13), vn(2026, 3, 3, 13)),
        (vn(2026, 3, 2, 16, 59), vn(2026, 3, 3, 16, 59)),
        (vn(2026, 3, 2, 17), vn(2026, 3, 4, 8)),  # closing: from Tuesday 08:00
        (vn(2026, 3, 2, 22), vn(2026, 3, 4, 8)),
    ],
)
def test_one_working_day_at_each_edge_of_the_day(received: datetime, due: datetime) -> None:
    assert CAL.due_at(received, 1, "working_days") == due


@pytest.mark.parametrize(
    ("received", "amount", "unit", "due"),
    [
        # Half a day from the opening ends at 12:00: the citizen comes at 13:00.
        (vn(2026, 3, 2, 8), 0.5, "working_days", vn(2026, 3, 2, 13)),
        # Half a day from 13:00 ends at 17:00: next working morning.
        (vn(2026, 3, 2, 13), 0.5, "working_days", vn(2026, 3, 3, 8)),
        (vn(2026, 3, 2, 13), 4, "working_hours", vn(2026, 3, 3, 8)),
        (vn(2026, 3, 2, 9), 3, "working_hours", vn(2026, 3, 2, 13)),
        # "Trong ngày" is due at the close of the day, the one closing minute allowed.
        (vn(2026, 3, 2, 9), 0, "working_days", vn(2026, 3, 2, 17)),
        (vn(2026, 3, 2, 9), 0, "working_hours", vn(2026, 3, 2, 17)),
    ],
)
def test_period_ends_move_to_the_next_period(
    received: datetime, amount: float, unit: str, due: datetime
) -> None:
    assert CAL.due_at(received, amount, unit) == due


# -- the week ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (vn(2026, 3, 6, 16), vn(2026, 3, 9, 16)),  # Friday afternoon -> Monday
        (vn(2026, 3, 6, 17, 30), vn(2026, 3, 10, 8)),  # Friday after closing -> Tuesday 08:00
        (vn(2026, 3, 7, 10), vn(2026, 3, 10, 8)),  # Saturday -> counts from Monday
        (vn(2026, 3, 8, 10), vn(2026, 3, 10, 8)),  # Sunday
        (vn(2026, 8, 21, 9), vn(2026, 8, 22, 9)),  # make-up Saturday 22/8/2026 works
        (vn(2026, 8, 22, 10), vn(2026, 8, 24, 10)),  # received on it: Sunday off -> Mon 24/8
    ],
)
def test_one_working_day_over_the_week(received: datetime, due: datetime) -> None:
    assert CAL.due_at(received, 1, "working_days") == due


# -- the cut-off ---------------------------------------------------------------------------


def test_cutoff_changes_the_appointment() -> None:
    # The case: Monday 15:30 + 3 working days, with and without a 15:00 cut-off.
    with_cutoff = CAL.due_at(vn(2026, 3, 2, 15, 30), 3, "working_days", CUTOFF)
    without = CAL.due_at(vn(2026, 3, 2, 15, 30), 3, "working_days")
    assert without == vn(2026, 3, 5, 15, 30)
    assert with_cutoff == vn(2026, 3, 6, 8)  # counts from Tuesday, ends Thu 17:00 -> Fri 08:00
    assert with_cutoff != without


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (vn(2026, 3, 2, 14, 59), vn(2026, 3, 2, 17)),
        (vn(2026, 3, 2, 15), vn(2026, 3, 2, 17)),  # at the cut-off: still today
        (vn(2026, 3, 2, 15, 1), vn(2026, 3, 3, 17)),  # after: the next working day
        (vn(2026, 3, 6, 15, 30), vn(2026, 3, 9, 17)),  # Friday after the cut-off -> Monday
        (vn(2026, 3, 7, 9), vn(2026, 3, 9, 17)),  # Saturday -> Monday
    ],
)
def test_same_day_procedure_and_its_cutoff(received: datetime, due: datetime) -> None:
    assert CAL.due_at(received, 0, "working_days", CUTOFF) == due


# -- holidays ------------------------------------------------------------------------------


def test_holidays_are_skipped() -> None:
    # Fri 13/2/2026 before Tết: 1 day from 16:30 -> 0.5 h Friday, 7.5 h on Mon 23/2.
    assert CAL.due_at(vn(2026, 2, 13, 16, 30), 1, "working_days") == vn(2026, 2, 23, 16, 30)
    # Received on a Tết day: counts from Mon 23/2 08:00, due Tue 24/2 08:00.
    assert CAL.due_at(vn(2026, 2, 18, 9), 1, "working_days") == vn(2026, 2, 24, 8)
    # 24/11/2026 (Ngày Văn hóa Việt Nam) is off: Mon 23/11 10:00 + 1 day -> Wed 25/11 10:00.
    assert CAL.due_at(vn(2026, 11, 23, 10), 1, "working_days") == vn(2026, 11, 25, 10)


def test_calendar_days_end_as_the_civil_code_says() -> None:
    # Art. 147(2): the first day is not counted; art. 148(5): a last day off ends on the
    # next working day; the period ends at the close of that working day (art. 148(6)).
    assert CAL.due_at(vn(2026, 3, 2, 10), 3, "calendar_days") == vn(2026, 3, 5, 17)
    assert CAL.due_at(vn(2026, 3, 2, 10), 5, "calendar_days") == vn(2026, 3, 9, 17)
    assert CAL.due_at(vn(2026, 2, 9, 10), 7, "calendar_days") == vn(2026, 2, 23, 17)


def test_pause_extension_lands_on_a_working_moment() -> None:
    # Due Tue 10:00, paused 2 working hours: 12:00 is lunch's edge -> 13:00.
    due = CAL.extend_for_pause(vn(2026, 3, 3, 10), vn(2026, 3, 2, 8), vn(2026, 3, 2, 10))
    assert due == vn(2026, 3, 3, 13)


# -- properties ----------------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 31, 23, 59)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=VN_TZ))
amounts = st.sampled_from([0, 0.5, 1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30])
units = st.sampled_from(["working_days", "working_hours", "calendar_days"])
cutoffs = st.sampled_from([None, CUTOFF])


def _ok(amount: float, unit: str) -> bool:
    return unit != "calendar_days" or amount == int(amount)


@settings(max_examples=300, deadline=None)
@given(received=moments, amount=amounts, unit=units, cutoff=cutoffs)
def test_property_due_is_after_the_receipt(
    received: datetime, amount: float, unit: str, cutoff: time | None
) -> None:
    if _ok(amount, unit):
        assert CAL.due_at(received, amount, unit, cutoff) >= received


@settings(max_examples=300, deadline=None)
@given(a=moments, b=moments, amount=amounts, unit=units, cutoff=cutoffs)
def test_property_monotone_in_the_receipt_time(
    a: datetime, b: datetime, amount: float, unit: str, cutoff: time | None
) -> None:
    if not _ok(amount, unit):
        return
    first, later = min(a, b), max(a, b)
    assert CAL.due_at(first, amount, unit, cutoff) <= CAL.due_at(later, amount, unit, cutoff)


@settings(max_examples=300, deadline=None)
@given(received=moments, amount=amounts, unit=st.sampled_from(["working_days", "working_hours"]))
def test_property_never_on_a_closing_minute(received: datetime, amount: float, unit: str) -> None:
    due = CAL.due_at(received, amount, unit, CUTOFF)
    assert CAL.is_working_day(due.date())
    if amount > 0:
        assert due.time() not in (time(12, 0), time(17, 0))
        assert CAL.roll_forward(due) == due  # a moment the office is open


@settings(max_examples=300, deadline=None)
@given(received=moments, days=st.integers(min_value=1, max_value=60))
def test_property_calendar_days_follow_the_civil_code(received: datetime, days: int) -> None:
    due = CAL.due_at(received, days, "calendar_days")
    first = CAL.roll_forward(received).date()  # the day the period counts from
    last = first + timedelta(days=days)  # art. 147(2): the first day is not counted
    assert due.time() == time(17, 0)
    assert due.date() >= last
    assert CAL.is_working_day(due.date())
    # Art. 148(5): moved only over days off, to the first working day.
    assert all(
        not CAL.is_working_day(last + timedelta(days=i)) for i in range((due.date() - last).days)
    )


# -- one timeliness rule -------------------------------------------------------------------


def test_timeliness_compares_dates_not_moments() -> None:
    due = vn(2026, 3, 2, 9)
    assert timeliness.timeliness("processing", due, None, vn(2026, 3, 2, 9, 1)) == "due_today"
    assert timeliness.timeliness("processing", due, None, vn(2026, 3, 2, 23, 59)) == "due_today"
    assert timeliness.timeliness("processing", due, None, vn(2026, 3, 3, 0, 0)) == "overdue"
    assert timeliness.timeliness("processing", due, None, vn(2026, 3, 1, 23, 59)) == "on_track"
    finished = vn(2026, 3, 2, 16)
    assert timeliness.timeliness("result_ready", due, finished, vn(2026, 3, 9)) == "on_time"
    assert timeliness.timeliness("returned", due, vn(2026, 3, 1, 16), vn(2026, 3, 9)) == "early"
    assert timeliness.timeliness("returned", due, vn(2026, 3, 3, 8), vn(2026, 3, 9)) == "late"
    # Paused, closed without a result, or turned away at intake: not judged.
    for status in ("supplement_requested", "withdrawn", "stopped", "refused", "incomplete"):
        assert timeliness.timeliness(status, due, None, vn(2026, 4, 1)) is None
    assert timeliness.timeliness("received", None, None, vn(2026, 4, 1)) is None


def test_due_today_counts_once_in_the_supervisor_figures(
    officer_desk: Desk, clock: FrozenClock
) -> None:
    """The issue's case: due today at 09:00, looked at 09:01, finished at 16:00."""
    clock.now = vn(2026, 11, 25, 9)  # Wednesday; 3 working days -> Mon 30/11 09:00
    d = officer_desk.receive(draft_for(officer_desk, "1.004194"))
    assert d.due_at == vn(2026, 11, 30, 9)
    clock.now = vn(2026, 11, 30, 9, 1)
    assert d.timeliness(clock.now) == "due_today" and not d.is_overdue(clock.now)
    store, cal = officer_desk.store, officer_desk.calendar
    today = clock.now.date()
    figures = stats.compute_figures(store, cal, today, today, clock.now, groups=())
    assert figures.counts["due_today"] == 1
    assert figures.counts["overdue"] == 0 and figures.counts["late_open"] == 0
    clock.now = vn(2026, 11, 30, 16)
    done = officer_desk.act(d.uuid, "result_ready")
    assert done.timeliness(clock.now) == "on_time"
    assert officer_desk.timeline(d.uuid)[-1].details["timeliness"] == "on_time"
    figures = stats.compute_figures(store, cal, today, today, clock.now, groups=())
    assert figures.counts["on_time"] == 1 and figures.counts["late"] == 0


# The SQL of the figures against the Python rule, over random dossiers.
_STATUSES = [
    "received",
    "processing",
    "supplement_requested",
    "result_ready",
    "returned",
    "refused",
    "incomplete",
    "withdrawn",
    "stopped",
]
dossier_rows = st.lists(
    st.tuples(
        st.sampled_from(_STATUSES),
        st.one_of(st.none(), moments),
        moments,
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(rows=dossier_rows, now=moments)
def test_property_sql_and_python_agree(
    rows: list[tuple[str, datetime | None, datetime]], now: datetime
) -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE dossiers (id INTEGER, status TEXT, due_at TEXT, finished_at TEXT)")
    expected: dict[str, set[int]] = {k: set() for k in timeliness.SQL}
    for i, (status, due, finished) in enumerate(rows):
        done = finished if status in timeliness.FINISHED else None
        conn.execute(
            "INSERT INTO dossiers VALUES (?, ?, ?, ?)",
            (i, status, iso(due) if due else "", iso(done) if done else None),
        )
        judged = timeliness.timeliness(status, due, done, now)
        if judged is not None:
            expected[judged].add(i)
    for key, clause in timeliness.SQL.items():
        got = {
            r[0]
            for r in conn.execute(
                f"SELECT id FROM dossiers d WHERE {clause}", {"today": now.date().isoformat()}
            )
        }
        assert got == expected[key], key


def test_the_book_marks_lateness_with_the_same_rule(officer_desk: Desk, clock: FrozenClock) -> None:
    """Mẫu 07: an unfinished dossier past its due date is quá hạn, one due that day is not."""
    from counter import exports

    clock.now = vn(2026, 11, 25, 9)
    late = officer_desk.receive(draft_for(officer_desk, "1.004194"))  # due Mon 30/11 09:00
    clock.now = vn(2026, 11, 26, 9)
    today = officer_desk.receive(draft_for(officer_desk, "1.004194"))  # due Tue 1/12 09:00
    assert late.due_at is not None and today.due_at is not None
    agencies = {p.code: p.deciding_agency for p in officer_desk.catalogue}
    as_of = vn(2026, 12, 1, 16)
    notes = {
        row[1]: row[-1]
        for row in exports.book_rows(
            officer_desk.store, agencies, date(2026, 11, 25), date(2026, 11, 26), as_of=as_of
        )
    }
    assert notes[late.code].endswith("quá hạn")
    assert notes[today.code].endswith("đến hạn hôm nay")
    # A book of a past range judges as of its last day: the same bytes whenever exported.
    assert exports.book_as_of(date(2026, 11, 26), vn(2026, 12, 1, 16)) == datetime(
        2026, 11, 26, 23, 59, 59, tzinfo=VN_TZ
    )
