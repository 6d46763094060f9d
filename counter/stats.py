"""The supervisor's figures: today at a glance and any date range, by officer, counter and lĩnh vực.

Every number is one SQL aggregate over the store (never all rows in Python), and every number
is defined by a WHERE clause over `dossiers d`, so the dossiers behind it (drill-down) come from
the very same clause: what the screen counts is what the list shows.

Definitions (DOMAIN §4):

- *received*: received in the range; *returned*, *supplement requested*, *refused*,
  *withdrawn*, *stopped*: that action happened in the range (one dossier counts once).
- *early / on time / late* (trước hạn / đúng hạn / quá hạn): dossiers whose result was ready
  in the range, judged by `counter.timeliness` (the **date** of finishing against the due
  date); *late open*: dossiers due in the range, still running, whose due **date** is before
  today (due today is not late yet). The on-time rate is (early + on time) / (early + on time
  + late + late open).
- *overdue*, *due today*, *due next working day*: a snapshot at `now`, whatever the range,
  with the same date rule (a dossier due today is "due today", never "overdue").

Groups attribute a dossier to the officer and counter that received it, and to its lĩnh vực.

Queue figures come from an optional provider (the queue engine lives elsewhere); without one
the figures say "chưa có dữ liệu hàng đợi".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from counter import timeliness
from counter.dossiers import CASHLESS_STATES
from counter.i18n import DIMENSION_LABELS, pick, tr
from counter.store import Store
from counter.timeutil import VN_TZ, iso, parse_iso, to_vn
from counter.worktime import WorkCalendar

if TYPE_CHECKING:
    from counter.desk import Desk

NO_QUEUE_DATA = tr("vi", "stats.no_queue_data")

# Statuses whose legal clock runs, open ones and finished ones (see counter.timeliness).
RUNNING = timeliness.RUNNING
OPEN = ("received", "processing", "supplement_requested")
RESOLVED = timeliness.FINISHED


@dataclass(frozen=True)
class Figure:
    key: str
    vi: str
    en: str
    snapshot: bool = False  # True: as of `now`, whatever the range


FIGURES: tuple[Figure, ...] = (
    Figure("received", "Tiếp nhận", "Received"),
    Figure("returned", "Đã trả kết quả", "Returned"),
    Figure("supplement", "Yêu cầu bổ sung", "Supplement requested"),
    Figure("refused", "Từ chối tiếp nhận", "Refused"),
    Figure("withdrawn", "Công dân rút hồ sơ", "Withdrawn"),
    Figure("stopped", "Dừng xử lý", "Stopped"),
    Figure("early", "Giải quyết trước hạn", "Finished early"),
    Figure("on_time", "Giải quyết đúng hạn", "Finished on time"),
    Figure("late", "Giải quyết quá hạn", "Finished late"),
    Figure("late_open", "Quá hạn chưa giải quyết", "Past due, unfinished"),
    Figure("overdue", "Đang quá hạn", "Overdue now", snapshot=True),
    Figure("due_today", "Đến hạn hôm nay", "Due today", snapshot=True),
    Figure("due_next", "Đến hạn ngày làm việc tiếp theo", "Due next working day", snapshot=True),
)
FIGURE_KEYS = tuple(f.key for f in FIGURES)
FIGURE_BY_KEY = {f.key: f for f in FIGURES}
# Figures that make sense per group (snapshots included: "overdue per officer" is useful).
DIMENSIONS = DIMENSION_LABELS  # the words live in counter/i18n.py


def dimension_label(dimension: str, lang: str = "vi") -> str:
    return pick(DIMENSIONS[dimension], lang)


_DIMENSION_SQL = {"officer": "d.officer_id", "counter": "d.counter_no", "field": "d.field"}

_EVENT_FLAGS: dict[str, tuple[str, ...]] = {
    "returned": ("return_result",),
    # A Mẫu 02 / 03 at intake counts with the ones issued after acceptance (DOMAIN §2).
    "supplement": ("request_supplement", "intake_supplement"),
    "refused": ("refuse", "intake_refuse"),
    "withdrawn": ("withdraw",),
    "stopped": ("stop",),
}


@dataclass(frozen=True)
class QueueFigures:
    """What the queue engine reports for a range (filled by a provider, see module doc)."""

    issued: int = 0
    waiting: int = 0
    served: int = 0
    no_shows: int = 0
    average_wait_minutes: float | None = None
    average_service_minutes: float | None = None


@dataclass(frozen=True)
class FeeFigures:
    """Fees of the dossiers received in a range, by payment state (DOMAIN §1: the city's goal
    is 100 % cashless fee payment)."""

    count: dict[str, int] = field(default_factory=dict)
    amount: dict[str, int] = field(default_factory=dict)

    @property
    def cash(self) -> int:
        return self.amount.get("paid_cash", 0)

    @property
    def cashless(self) -> int:
        return sum(self.amount.get(s, 0) for s in CASHLESS_STATES)

    @property
    def cashless_share(self) -> float | None:
        """Cashless amount over all collected or due amounts (None: no fee in the range)."""
        total = self.cash + self.cashless
        return self.cashless / total if total else None


CASHLESS_GOAL = 1.0  # 100 % of fees paid without cash (the city's goal, DOMAIN §1)
FEE_STATES = ("paid_cash", "paid_transfer", "to_pay_transfer", "exempt", "none")


def fee_figures(store: Store, start: date, end: date) -> FeeFigures:
    """Count and amount of fees per payment state over the dossiers received in the range."""
    lo, hi = day_bounds(start, end)
    count = dict.fromkeys(FEE_STATES, 0)
    amount = dict.fromkeys(FEE_STATES, 0)
    for state, n, total in store.conn.execute(
        "SELECT payment_state, count(*), COALESCE(sum(fee_amount), 0) FROM dossiers "
        "WHERE received_at >= ? AND received_at < ? GROUP BY payment_state",
        (lo, hi),
    ):
        count[state] = int(n)
        amount[state] = int(total)
    return FeeFigures(count, amount)


QueueFiguresProvider = Callable[[date, date], QueueFigures | None]
QueueLogProvider = Callable[[date, date], Iterable[Mapping[str, Any]]]


@dataclass(frozen=True)
class GroupRow:
    dimension: str
    key: str  # as text: officer id, counter number or the lĩnh vực
    label: str
    counts: dict[str, int]

    @property
    def on_time_rate(self) -> float | None:
        return on_time_rate(self.counts)

    def label_in(self, lang: str = "vi") -> str:
        """The label in `lang`: only counters have a worded label, names stay as they are."""
        if lang == "en" and self.dimension == "counter":
            return f"Counter {self.key}"
        return self.label


@dataclass(frozen=True)
class Figures:
    start: date
    end: date
    now: datetime
    next_working_day: date
    counts: dict[str, int]
    groups: dict[str, list[GroupRow]] = field(default_factory=dict)
    queue: QueueFigures | None = None
    fees: FeeFigures = field(default_factory=FeeFigures)

    @property
    def on_time_rate(self) -> float | None:
        return on_time_rate(self.counts)

    @property
    def queue_note(self) -> str:
        return "" if self.queue is not None else NO_QUEUE_DATA

    def queue_note_in(self, lang: str = "vi") -> str:
        return "" if self.queue is not None else tr(lang, "stats.no_queue_data")

    def label(self, key: str, lang: str = "vi") -> str:
        if key == "due_next":
            if lang == "en":
                return f"Due {self.next_working_day:%d/%m} (next working day)"
            return f"Đến hạn {self.next_working_day:%d/%m} (ngày làm việc tiếp theo)"
        f = FIGURE_BY_KEY[key]
        return pick((f.vi, f.en), lang)


def on_time_rate(counts: Mapping[str, int]) -> float | None:
    """Share of dossiers finished early or on time among all judged ones (None: none judged)."""
    good = counts.get("early", 0) + counts.get("on_time", 0)
    total = good + counts.get("late", 0) + counts.get("late_open", 0)
    return good / total if total else None


# -- the SQL -------------------------------------------------------------------------------


def day_bounds(start: date, end: date) -> tuple[str, str]:
    """[start 00:00, end+1 00:00) in Vietnam time, as the stored ISO strings compare."""
    if end < start:
        raise ValueError(f"range end {end} is before its start {start}")
    lo = datetime.combine(start, time(0, 0), tzinfo=VN_TZ)
    hi = datetime.combine(end + timedelta(days=1), time(0, 0), tzinfo=VN_TZ)
    return iso(lo), iso(hi)


def _params(start: date, end: date, now: datetime, next_day: date) -> dict[str, Any]:
    lo, hi = day_bounds(start, end)
    now_iso = iso(now)
    return {
        "lo": lo,
        "hi": hi,
        "now": now_iso,
        "first_day": start.isoformat(),
        "last_day": end.isoformat(),
        "today": to_vn(now).date().isoformat(),
        "next_day": next_day.isoformat(),
    }


def _in(values: tuple[str, ...]) -> str:
    return "(" + ",".join(f"'{v}'" for v in values) + ")"


_FINISHED_IN_RANGE = "(d.finished_at >= :lo AND d.finished_at < :hi)"
_CLAUSES: dict[str, str] = {
    "received": "(d.received_at >= :lo AND d.received_at < :hi)",
    **{key: f"COALESCE(e.{key}, 0) = 1" for key in _EVENT_FLAGS},
    # Finished in the range, judged by `counter.timeliness` (dates, never moments).
    **{
        key: f"({timeliness.SQL[key]} AND {_FINISHED_IN_RANGE})"
        for key in ("early", "on_time", "late")
    },
    # Due in the range and already past its due date today: quá hạn, still running.
    "late_open": (
        f"({timeliness.SQL['overdue']} AND substr(d.due_at, 1, 10) >= :first_day "
        "AND substr(d.due_at, 1, 10) <= :last_day)"
    ),
    "overdue": timeliness.SQL["overdue"],
    "due_today": timeliness.SQL["due_today"],
    "due_next": f"({timeliness.SQL_RUNNING} AND substr(d.due_at, 1, 10) = :next_day)",
}

# One row per dossier touched in the range, with a 0/1 flag per lifecycle action.
_EVENTS_CTE = (
    "WITH e AS (SELECT dossier_uuid, "
    + ", ".join(f"max(action IN {_in(actions)}) AS {key}" for key, actions in _EVENT_FLAGS.items())
    + " FROM dossier_events WHERE at >= :lo AND at < :hi GROUP BY dossier_uuid) "
)
# A superset of every dossier any figure can count: keeps the scan to the range plus open ones.
_RELEVANT = (
    f"((d.received_at >= :lo AND d.received_at < :hi) OR d.updated_at >= :lo "
    f"OR d.status IN {_in(OPEN)})"
)
_FROM = _EVENTS_CTE + "SELECT {cols} FROM dossiers d LEFT JOIN e ON e.dossier_uuid = d.uuid "


def _sum_columns() -> str:
    return ", ".join(f"sum(CASE WHEN {_CLAUSES[k]} THEN 1 ELSE 0 END)" for k in FIGURE_KEYS)


def _counts_from(row: tuple[Any, ...]) -> dict[str, int]:
    return {k: int(v or 0) for k, v in zip(FIGURE_KEYS, row, strict=True)}


def compute_figures(
    store: Store,
    calendar: WorkCalendar,
    start: date,
    end: date,
    now: datetime,
    *,
    groups: Iterable[str] = tuple(DIMENSIONS),
    queue: QueueFiguresProvider | None = None,
) -> Figures:
    """The figures of [start, end] (inclusive days), no role check: callers check it."""
    next_day = calendar.next_working_day(to_vn(now).date())
    params = _params(start, end, now, next_day)
    sql = _FROM.format(cols=_sum_columns()) + f"WHERE {_RELEVANT}"
    counts = _counts_from(tuple(store.conn.execute(sql, params).fetchone()))
    grouped = {dim: group_figures(store, dim, params) for dim in groups}
    queue_figures = queue(start, end) if queue is not None else None
    fees = fee_figures(store, start, end)
    return Figures(start, end, to_vn(now), next_day, counts, grouped, queue_figures, fees)


def group_figures(store: Store, dimension: str, params: Mapping[str, Any]) -> list[GroupRow]:
    """Every figure per officer, counter or lĩnh vực; groups with nothing to show are left out."""
    key_sql = _DIMENSION_SQL[dimension]
    label_sql = "COALESCE(o.full_name, '')" if dimension == "officer" else key_sql
    join = "LEFT JOIN officers o ON o.id = d.officer_id " if dimension == "officer" else ""
    sql = (
        _FROM.format(cols=f"{key_sql}, {label_sql}, {_sum_columns()}")
        + join
        + f"WHERE {_RELEVANT} GROUP BY {key_sql} ORDER BY {key_sql}"
    )
    rows = []
    for key, label, *sums in store.conn.execute(sql, dict(params)):
        counts = _counts_from(tuple(sums))
        if not any(counts.values()):
            continue
        text = str(label) if dimension != "counter" else f"Quầy {key}"
        rows.append(GroupRow(dimension, str(key), text, counts))
    return rows


@dataclass(frozen=True)
class DrillRow:
    """One dossier behind a number: enough to list it and open it."""

    uuid: str
    code: str
    applicant_name: str
    procedure_name: str
    field: str
    status: str
    received_at: datetime
    due_at: datetime | None  # None: turned away at intake, no appointment
    officer_name: str
    counter_no: int


def drill_down(
    store: Store,
    calendar: WorkCalendar,
    figure: str,
    start: date,
    end: date,
    now: datetime,
    *,
    dimension: str | None = None,
    key: str | None = None,
    limit: int | None = None,
) -> list[DrillRow]:
    """The dossiers counted by `figure` (optionally within one group), oldest first."""
    if figure not in _CLAUSES:
        raise ValueError(f"unknown figure {figure!r}")
    params = _params(start, end, now, calendar.next_working_day(to_vn(now).date()))
    where = f"{_RELEVANT} AND {_CLAUSES[figure]}"
    if dimension is not None:
        where += f" AND CAST({_DIMENSION_SQL[dimension]} AS TEXT) = :group_key"
        params["group_key"] = key
    sql = (
        _FROM.format(
            cols="d.uuid, d.code, d.applicant_name, d.procedure_name, d.field, d.status, "
            "d.received_at, d.due_at, COALESCE(o.full_name, ''), d.counter_no"
        )
        + "LEFT JOIN officers o ON o.id = d.officer_id "
        + f"WHERE {where} ORDER BY d.received_at, d.code"
        + (" LIMIT :limit" if limit is not None else "")
    )
    if limit is not None:
        params["limit"] = limit
    return [
        DrillRow(u, c, a, p, f, s, parse_iso(r), parse_iso(due) if due else None, o, n)
        for u, c, a, p, f, s, r, due, o, n in store.conn.execute(sql, params)
    ]


def drill_down_uuids(
    store: Store,
    calendar: WorkCalendar,
    figure: str,
    start: date,
    end: date,
    now: datetime,
    *,
    dimension: str | None = None,
    key: str | None = None,
) -> list[str]:
    return [
        r.uuid
        for r in drill_down(store, calendar, figure, start, end, now, dimension=dimension, key=key)
    ]


def received_by_hour(store: Store, day: date, hours: range = range(7, 18)) -> list[int]:
    """Dossiers received in each hour of `day` (for the sparkline)."""
    lo, hi = day_bounds(day, day)
    found = dict(
        store.conn.execute(
            "SELECT CAST(substr(received_at, 12, 2) AS INTEGER), count(*) FROM dossiers "
            "WHERE received_at >= ? AND received_at < ? GROUP BY 1",
            (lo, hi),
        ).fetchall()
    )
    return [int(found.get(h, 0)) for h in hours]


def fields_in_range(store: Store, start: date, end: date) -> list[str]:
    """The lĩnh vực that received something in the range, sorted (one book each)."""
    lo, hi = day_bounds(start, end)
    return [
        r[0]
        for r in store.conn.execute(
            "SELECT DISTINCT field FROM dossiers WHERE received_at >= ? AND received_at < ? "
            "ORDER BY field",
            (lo, hi),
        )
    ]


# -- for a logged-in supervisor ----------------------------------------------------------


def today_figures(desk: Desk, *, queue: QueueFiguresProvider | None = None) -> Figures:
    """Today at a glance for the desk's supervisor (AuthError for anyone else)."""
    desk.require_supervisor("stats.today")
    now = desk.now()
    return compute_figures(desk.store, desk.calendar, now.date(), now.date(), now, queue=queue)


def range_figures(
    desk: Desk, start: date, end: date, *, queue: QueueFiguresProvider | None = None
) -> Figures:
    desk.require_supervisor("stats.range")
    return compute_figures(desk.store, desk.calendar, start, end, desk.now(), queue=queue)


def figure_dossiers(
    desk: Desk,
    figure: str,
    start: date,
    end: date,
    *,
    dimension: str | None = None,
    key: str | None = None,
    limit: int | None = 1000,
) -> list[DrillRow]:
    """Drill-down for the screen: the dossiers behind one number (supervisor only)."""
    desk.require_supervisor("stats.drill_down")
    return drill_down(
        desk.store,
        desk.calendar,
        figure,
        start,
        end,
        desk.now(),
        dimension=dimension,
        key=key,
        limit=limit,
    )


def hourly_received(desk: Desk, day: date | None = None) -> list[int]:
    desk.require_supervisor("stats.hourly")
    return received_by_hour(desk.store, day or desk.now().date())
