"""The queue-number engine (lấy số thứ tự): issuing, calling, priority, the state changes.

Pure core: it works on an open SQLite store (the counter's own `Store`, or the centre hub's
file) and a clock. Every operation is one `BEGIN IMMEDIATE` transaction that checks and
changes the ticket rows and appends to `queue_events`, so two counters pressing "call next"
at the same instant are serialised by SQLite and never get the same ticket.

Tickets have a number per service area (A001…) that restarts every day (Vietnam time), a
priority class ('' = ordinary) and a state:

    waiting → called → serving → done
    called/serving → no_show | on_hold | transferred      on_hold → waiting (returned)
    transferred → called (at the target area or counter)   no_show/on_hold → called (by number)
    any open state of a past day → not_served (a "serving" one → done): the day-end close

"Call next" serves priority tickets first, then first come first served; after `interleave`
priority calls in a row at a counter, one ordinary ticket is called if any waits, so ordinary
tickets never starve. Calls that change state carry an optional request id: a counter that
retries after a lost reply gets the same answer instead of a second ticket (the idempotency
key Qminder's API lacks).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, NamedTuple

import sqlite_utils

from counter.config.queue import QueueSettings
from counter.errors import IllegalTransition, InvalidInput
from counter.queue.dayend import close_past_days
from counter.queue.limits import check_limits, person_key, person_secret
from counter.queue.models import (
    CHANNELS,
    OPEN,
    QUEUED,
    QueueError,
    Ticket,
    json_text,
    ticket_answer,
)
from counter.queue.reading import QueueReader, StoreLike
from counter.queue.schema import TICKET_COLUMNS, ticket_from_row
from counter.timeutil import Clock, iso, parse_iso, system_clock

# Runs inside the issuing transaction (the counter writes the ticket's print job there).
OnIssued = Callable[[sqlite_utils.Database, Ticket], None]

_DOSSIER_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,63}")


class QueueEngine(QueueReader):
    """The queue on one SQLite store. Not thread-safe: one engine (connection) per thread."""

    def __init__(self, store: StoreLike, settings: QueueSettings, clock: Clock = system_clock):
        super().__init__(store, settings, clock)
        # Set by the owner once the file can store `not_served` (upgrade_queue_tables): then
        # the first issue or call of each day closes the days before it.
        self.closes_days = False
        self._closed_before = ""

    def close_past_days(self) -> int:
        """Day-end close: every ticket of a past day still open is closed as not served (one
        being served → done, its service time unknown); how many were closed. Run by the
        hub at start and, lazily, by the first issue or call of each day."""
        with self.store.write() as db:
            return self._close_past_days(db, self.today())

    def _close_past_days(self, db: sqlite_utils.Database, today: str) -> int:
        closed = close_past_days(db, today, self.now())
        self._closed_before = today
        return closed

    def _day_turned(self, db: sqlite_utils.Database, today: str) -> None:
        if self.closes_days and self._closed_before != today:
            self._close_past_days(db, today)

    # -- helpers --

    def _event(
        self,
        db: sqlite_utils.Database,
        t: Ticket,
        action: str,
        counter: int | None,
        at: str | None = None,
        **details: Any,
    ) -> None:
        db.conn.execute(
            "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            _event_row(t, at or iso(self.now()), action, counter, details),
        )

    def _set(
        self, db: sqlite_utils.Database, t: Ticket, at: str | None = None, **changes: Any
    ) -> Ticket:
        """Change a ticket read in this same transaction; the changed ticket is built here, as
        a re-read would give it (times to the second, dossiers as a tuple), not read back:
        the SELECT and its parsing were a fifth of a call's cost under 50 counters. `at` is
        the action's moment as stored (one `iso` per action, not one per column)."""
        changes["updated_at"] = at or iso(self.now())
        cols = ", ".join(f"{k} = ?" for k in changes)
        params = tuple(iso(v) if isinstance(v, datetime) else v for v in changes.values())
        db.conn.execute(f"UPDATE queue_tickets SET {cols} WHERE id = ?", (*params, t.id))
        return replace(t, **{k: _as_read(k, v) for k, v in changes.items() if k != "updated_at"})

    def _idempotent(self, request_id: str | None, fn: Callable[[], Ticket | None]) -> Ticket | None:
        """Run `fn` once per request id; a retry gets the stored answer (JSON form)."""
        if not request_id:
            return fn()
        row = self.store.conn.execute(
            "SELECT response FROM queue_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is not None:
            stored = json.loads(row[0])["ticket"]
            return None if stored is None else Ticket.from_json(stored)
        result = fn()
        self.store.conn.execute(
            "INSERT INTO queue_requests(request_id, at, response) VALUES (?, ?, ?)",
            (request_id, iso(self.now()), ticket_answer(result)),
        )
        return result

    def _once(self, request_id: str | None, fn: Callable[[], Ticket]) -> Ticket:
        """`_idempotent` for the actions whose answer is always a ticket."""
        ticket = self._idempotent(request_id, fn)
        if ticket is None:  # only if the stored answer of this request id was "nobody waits"
            raise IllegalTransition(
                "Mã yêu cầu này đã được dùng cho một thao tác khác",
                "This request id was already used for another action",
            )
        return ticket

    def _require_current(self, counter_no: int) -> Ticket:
        t = self._current(counter_no, self.today())
        if t is None:
            raise IllegalTransition(
                f"Quầy {counter_no} chưa gọi số nào", f"Counter {counter_no} has no current ticket"
            )
        return t

    # -- issue --

    def issue(
        self,
        area: str,
        *,
        priority: str = "",
        person: str = "",
        channel: str = "kiosk",
        request_id: str | None = None,
        on_issued: OnIssued | None = None,
    ) -> Ticket:
        """Give the next number of `area` today; `on_issued` runs in the same transaction
        (the counter writes the ticket's print job there)."""
        a = self.settings.area(area.strip().upper())
        self.settings.priority_name(priority)
        if channel not in CHANNELS:
            raise InvalidInput(
                "channel", f"Kênh lấy số không hợp lệ: {channel}", f"Bad channel {channel}"
            )
        now = self.now()
        s = self.settings
        if not s.issue_start <= now.time() < s.issue_end:
            raise QueueError(
                f"Ngoài giờ cấp số thứ tự ({s.issue_start:%H:%M}–{s.issue_end:%H:%M})",
                f"Numbers are issued {s.issue_start:%H:%M}–{s.issue_end:%H:%M} only",
            )
        key = person_key(person, person_secret(self.store.conn)) if person else ""
        day = self.day_of(now)
        with self.store.write() as db:

            def run() -> Ticket:
                self._day_turned(db, day)
                if key:
                    check_limits(self.store.conn, self.settings, key, a, day)
                row = db.conn.execute(
                    "SELECT MAX(seq) FROM queue_tickets WHERE day = ? AND area = ?", (day, a.prefix)
                ).fetchone()
                seq = a.first if row[0] is None else row[0] + 1
                if seq > a.last:
                    raise QueueError(
                        f"Lĩnh vực {a.name} đã hết số thứ tự hôm nay ({a.number(a.last)})",
                        f"Area {a.prefix} has run out of numbers today",
                    )
                cur = db.conn.execute(
                    "INSERT INTO queue_tickets(day, area, seq, number, serve_area, priority, "
                    "person_key, channel, status, issued_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?)",
                    (day, a.prefix, seq, a.number(seq), a.prefix, priority, key, channel,
                     iso(now), iso(now)),
                )  # fmt: skip
                t = self._get(int(cur.lastrowid or 0))
                ahead_sql = (
                    "SELECT COUNT(*) FROM queue_tickets WHERE day = ? AND serve_area = ? "
                    "AND status IN ('waiting', 'transferred') AND id < ?"
                )
                if priority:
                    ahead_sql += " AND priority != ''"
                ahead = db.conn.execute(ahead_sql, (day, a.prefix, t.id)).fetchone()[0]
                t = replace(t, people_ahead=int(ahead))
                self._event(db, t, "issue", None, channel=channel, priority=priority)
                if on_issued:
                    on_issued(db, t)
                return t

            return self._once(request_id, run)

    # -- calling --

    def call_next(
        self, counter_no: int, areas: tuple[str, ...] = (), *, request_id: str | None = None
    ) -> Ticket | None:
        """Call the next ticket for a counter (priority first, interleaved, then FIFO).

        The counter's current ticket, if any, is finished when the next one is called (the
        officer moved on). Returns None, changing nothing, when nobody waits."""
        serves = self.settings.served_by(counter_no, areas)
        with self.store.write() as db:
            return self._idempotent(request_id, lambda: self._call_next(db, counter_no, serves))

    def _call_next(
        self, db: sqlite_utils.Database, counter_no: int, serves: tuple[str, ...]
    ) -> Ticket | None:
        now = self.now()
        at = iso(now)
        day = self.day_of(now)
        self._day_turned(db, day)
        # A counter of every area (the default) needs no area filter (an IN list as long as
        # the centre's areas, checked on every row the probes pass).
        every = serves == self.settings.prefixes
        found = _pick_candidates(db, counter_no, day, () if every else serves)
        # Tickets sent to this very counter come first, then priority (unless the interleave
        # says an ordinary ticket's turn has come), then ordinary.
        streak = found.streak
        interleave = self.settings.interleave
        if interleave and streak >= interleave:  # an ordinary ticket's turn, if one waits
            row = found.direct or found.ordinary or found.priority
        else:
            row = found.direct or found.priority or found.ordinary
        if row is None:  # nobody waits: the current ticket stays (it is not "served" yet)
            return None
        pick = ticket_from_row(row[1:-1])
        events: list[tuple[Any, ...]] = []
        if found.current is not None:  # the officer moved on to the next citizen
            events.append(_finish_previous(db, found.current, counter_no, at))
        new_streak = streak + 1 if pick.priority else 0
        db.conn.execute(
            "INSERT INTO queue_counters(counter_no, day, priority_streak, seen_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(counter_no) DO UPDATE SET day = excluded.day, "
            "priority_streak = excluded.priority_streak, seen_at = excluded.seen_at",
            (counter_no, day, new_streak, at),
        )
        return self._do_call(db, pick, counter_no, "call", at=at, events=events)

    def _do_call(
        self,
        db: sqlite_utils.Database,
        t: Ticket,
        counter_no: int,
        action: str,
        *,
        at: str | None = None,
        events: list[tuple[Any, ...]] | None = None,
    ) -> Ticket:
        """Call `t` to the counter; its event is written with any `events` gathered before
        (one INSERT for the previous ticket's finish and this call)."""
        at = at or iso(self.now())
        cur = db.conn.execute(
            "UPDATE queue_tickets SET status = 'called', counter_no = ?, target_counter = NULL, "
            "called_at = COALESCE(called_at, ?), call_count = call_count + 1, updated_at = ? "
            "WHERE id = ? AND status = ?",
            (counter_no, at, at, t.id, t.status),
        )
        if cur.rowcount != 1:  # cannot happen inside BEGIN IMMEDIATE; refuse rather than double
            raise IllegalTransition(
                f"Số {t.number} vừa được quầy khác gọi", f"{t.number} was just called elsewhere"
            )
        called = replace(
            t,
            status="called",
            counter_no=counter_no,
            target_counter=None,
            called_at=t.called_at or parse_iso(at),
            call_count=t.call_count + 1,
        )
        details = {"number": t.number, "from_status": t.status}
        rows = [*(events or ()), _event_row(called, at, action, counter_no, details)]
        db.conn.execute(
            "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) VALUES "
            + ", ".join(["(?, ?, ?, ?, ?, ?)"] * len(rows)),
            tuple(value for row in rows for value in row),
        )
        return called

    def call(self, counter_no: int, number: str, *, request_id: str | None = None) -> Ticket:
        """Call a specific ticket: a waiting one out of turn, or a held / no-show one back."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self.ticket(number)
                if t.status in OPEN and t.counter_no == counter_no:
                    return self._do_call(db, t, counter_no, "recall")
                if t.status not in (*QUEUED, "on_hold", "no_show"):
                    raise IllegalTransition(
                        f"Số {t.number} đang ở trạng thái “{t.status_label()}”, không gọi được",
                        f"{t.number} is {t.status_label('en')}; it cannot be called",
                    )
                current = self._current(counter_no, t.day)
                if current is not None:
                    self._finish(db, current, counter_no, ())
                return self._do_call(db, t, counter_no, "call")

            return self._once(request_id, run)

    def recall(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Call the counter's current ticket again (board and voice repeat it)."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                return self._do_call(db, t, counter_no, "recall")

            return self._once(request_id, run)

    def start(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """The citizen came: serving starts (service time counts from here)."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                if t.status == "serving":
                    return t
                t = self._set(db, t, status="serving", started_at=self.now())
                self._event(db, t, "start", counter_no)
                return t

            return self._once(request_id, run)

    def no_show(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Nobody came to the counter's current call."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                t = self._set(db, t, status="no_show", finished_at=self.now())
                self._event(db, t, "no_show", counter_no)
                return t

            return self._once(request_id, run)

    def hold(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Put the current ticket aside (citizen fetches a paper); it keeps its place."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                t = self._set(db, t, status="on_hold")
                self._event(db, t, "hold", counter_no)
                return t

            return self._once(request_id, run)

    def unhold(self, number: str, *, request_id: str | None = None) -> Ticket:
        """Return a held ticket to its area's queue at its original place (it is called soon,
        by whichever counter of the area is free first: the one that held it may be busy)."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self.ticket(number)
                if t.status != "on_hold":
                    raise IllegalTransition(
                        f"Số {t.number} không ở trạng thái tạm hoãn",
                        f"{t.number} is not on hold",
                    )
                held_by = t.counter_no
                t = self._set(db, t, status="waiting", counter_no=None, target_counter=None)
                self._event(db, t, "unhold", held_by)
                return t

            return self._once(request_id, run)

    def transfer(
        self,
        counter_no: int,
        *,
        area: str | None = None,
        to_counter: int | None = None,
        request_id: str | None = None,
    ) -> Ticket:
        """Send the current ticket to another area's queue or to another counter; it keeps
        its number and its place (issued earlier, so it is called before newer tickets)."""
        if not area and not to_counter:
            raise InvalidInput(
                "transfer", "Chọn lĩnh vực hoặc quầy để chuyển", "Choose an area or a counter"
            )
        if to_counter is not None and not 1 <= to_counter <= 99:
            raise InvalidInput("transfer", "Số quầy từ 1 đến 99", "Counter numbers are 1–99")
        if to_counter == counter_no:
            raise InvalidInput(
                "transfer", "Không chuyển về chính quầy này", "Cannot transfer to this counter"
            )
        target_area = self.settings.area(area.strip().upper()).prefix if area else None
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                t = self._set(
                    db,
                    t,
                    status="transferred",
                    counter_no=None,
                    serve_area=target_area or t.serve_area,
                    target_counter=to_counter,
                )
                self._event(
                    db, t, "transfer", counter_no, to_area=target_area, to_counter=to_counter
                )
                return t

            return self._once(request_id, run)

    def finish(
        self, counter_no: int, dossiers: tuple[str, ...] = (), *, request_id: str | None = None
    ) -> Ticket:
        """Done with the current ticket, linked to the dossier code(s) received from it."""
        with self.store.write() as db:
            return self._once(
                request_id,
                lambda: self._finish(db, self._require_current(counter_no), counter_no, dossiers),
            )

    def _finish(
        self,
        db: sqlite_utils.Database,
        t: Ticket,
        counter_no: int,
        dossiers: tuple[str, ...],
        *,
        at: str | None = None,
        events: list[tuple[Any, ...]] | None = None,
    ) -> Ticket:
        """Done with `t`; its event is written now, or added to `events` for the caller's
        one INSERT (call-next finishes the previous ticket and calls the next together)."""
        at = at or iso(self.now())
        linked = tuple(dict.fromkeys((*t.dossiers, *(d.strip() for d in dossiers if d.strip()))))
        t = self._set(db, t, at, status="done", finished_at=at, dossiers=json.dumps(list(linked)))
        row = _event_row(t, at, "finish", counter_no, {"dossiers": list(linked)})
        if events is None:
            db.conn.execute(
                "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )
        else:
            events.append(row)
        return t

    def link_dossier(
        self, counter_no: int, dossier_code: str, *, request_id: str | None = None
    ) -> Ticket:
        """Attach a dossier received from the current ticket; serving starts if not yet."""
        code = dossier_code.strip()
        if not code:
            raise InvalidInput("dossier", "Thiếu mã hồ sơ", "Missing dossier code")
        if not _DOSSIER_CODE.fullmatch(code):
            # The hub's link endpoint takes this from the LAN; it ends in the queue log export.
            raise InvalidInput(
                "dossier",
                "Mã hồ sơ chỉ gồm chữ, số, '.' và '-' (tối đa 64 ký tự)",
                "A dossier code holds only letters, digits, '.' and '-' (64 at most)",
            )
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                changes: dict[str, Any] = {
                    "dossiers": json.dumps(list(dict.fromkeys((*t.dossiers, code))))
                }
                if t.status == "called":
                    changes |= {"status": "serving", "started_at": self.now()}
                t = self._set(db, t, **changes)
                self._event(db, t, "link", counter_no, dossier=code)
                return t

            return self._once(request_id, run)


def _finish_previous(
    db: sqlite_utils.Database, row: tuple[Any, ...], counter_no: int, at: str
) -> tuple[Any, ...]:
    """Call-next's finish of the counter's previous ticket, from its raw candidate row: what
    `QueueEngine._finish` writes with no new dossier, without building the ticket nobody
    reads (it was a quarter of a call's Python). Returns its event row for the one INSERT."""
    ticket_id, day, dossiers = row[1], row[2], row[16]
    db.conn.execute(
        "UPDATE queue_tickets SET status = 'done', finished_at = ?, updated_at = ? WHERE id = ?",
        (at, at, ticket_id),
    )
    details = json_text({"dossiers": json.loads(dossiers)})
    return (ticket_id, day, at, "finish", counter_no, details)


def _event_row(
    t: Ticket, at: str, action: str, counter: int | None, details: dict[str, Any]
) -> tuple[Any, ...]:
    """The values of one `queue_events` row."""
    return (t.id, t.day, at, action, counter, json_text(details))


class _Candidates(NamedTuple):
    """What call-next chooses from, read in one statement: raw rows (kind, TICKET_COLUMNS…,
    streak), made tickets only once chosen (parsing the unused ones cost half the read)."""

    direct: tuple[Any, ...] | None  # the oldest ticket sent to this very counter
    priority: tuple[Any, ...] | None  # the oldest priority ticket of the counter's areas
    ordinary: tuple[Any, ...] | None  # the oldest ordinary one
    current: tuple[Any, ...] | None  # the counter's current ticket (finished when called)
    streak: int  # priority calls in a row at this counter today


def _pick_candidates(
    db: sqlite_utils.Database, counter_no: int, day: str, serves: tuple[str, ...]
) -> _Candidates:
    """The four tickets call-next may touch and the counter's streak, in ONE statement: a
    UNION ALL of index-driven `LIMIT 1` probes (each 4–20 µs) instead of up to five
    statements, each with its own Python round trip. The choice among them stays in Python
    (`_call_next`), where the interleave rule reads plainly. `serves` empty: every area (no
    area filter at all)."""
    params = (
        counter_no, day,  # the streak (its subquery comes first in the text)
        counter_no, day,  # d
        day, *serves, counter_no,  # p
        day, *serves, counter_no,  # o
        day, counter_no,  # c
    )  # fmt: skip
    rows = db.conn.execute(_pick_sql(len(serves)), params).fetchall()
    by_kind = {row[0]: row for row in rows}
    streak = int(rows[0][-1] or 0) if rows else 0
    return _Candidates(
        by_kind.get("d"), by_kind.get("p"), by_kind.get("o"), by_kind.get("c"), streak
    )


@functools.cache
def _pick_sql(areas: int) -> str:
    """`_pick_candidates`' statement for a counter serving `areas` areas, built once per count
    (building it was a few µs of every call)."""
    marks = ",".join("?" * areas)
    queued = "day = ? AND status IN ('waiting', 'transferred')"
    mine = (
        f"((target_counter IS NULL AND serve_area IN ({marks})) OR target_counter = ?)"
        if areas
        else "(target_counter IS NULL OR target_counter = ?)"
    )
    probes = (
        ("d", f"target_counter = ? AND {queued} ORDER BY id"),
        ("p", f"{queued} AND {mine} AND priority != '' ORDER BY id"),
        ("o", f"{queued} AND {mine} AND priority = '' ORDER BY id"),
        ("c", "day = ? AND counter_no = ? AND status IN ('called', 'serving') "
              "ORDER BY called_at DESC, id DESC"),
    )  # fmt: skip
    union = " UNION ALL ".join(
        f"SELECT * FROM (SELECT '{kind}' AS kind, {TICKET_COLUMNS} FROM queue_tickets "
        f"WHERE {where} LIMIT 1)"
        for kind, where in probes
    )
    return (
        f"SELECT picked.*, (SELECT priority_streak FROM queue_counters "
        f"WHERE counter_no = ? AND day = ?) FROM ({union}) AS picked"
    )


def _as_read(column: str, value: Any) -> Any:
    """A value written to a ticket column as reading the row back would give it."""
    if isinstance(value, datetime):
        return parse_iso(iso(value))
    if column.endswith("_at") and isinstance(value, str):  # a moment already stored as text
        return parse_iso(value)
    if column == "dossiers" and isinstance(value, str):
        return tuple(json.loads(value))
    return value
