"""The queue's read side: today's tickets, the board's view, the calls since, the figures.

Apart from the engine's writes so each file reads in one sitting; the engine extends it.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import sqlite_utils

from counter.config.queue import QueueSettings
from counter.errors import NotFound
from counter.queue.models import QUEUED, Call, Figures, QueueError, QueueStats, QueueView, Ticket
from counter.queue.schema import TICKET_COLUMNS, ticket_from_row
from counter.timeutil import Clock, parse_iso, system_clock, to_vn


class StoreLike(Protocol):
    """An open SQLite store: the counter's `Store` or the hub's file."""

    @property
    def conn(self) -> Any: ...

    def write(self) -> AbstractContextManager[sqlite_utils.Database]: ...


class QueueReader:
    """Reads the queue on one SQLite store; `QueueEngine` adds the changes."""

    def __init__(self, store: StoreLike, settings: QueueSettings, clock: Clock = system_clock):
        self.store = store
        self.settings = settings
        self.clock = clock

    def now(self) -> datetime:
        return to_vn(self.clock())

    @staticmethod
    def day_of(moment: datetime) -> str:
        return to_vn(moment).date().isoformat()

    def today(self) -> str:
        return self.day_of(self.now())

    def _one(self, sql: str, params: tuple[Any, ...]) -> Ticket | None:
        row = self.store.conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE {sql}", params
        ).fetchone()
        return None if row is None else ticket_from_row(row)

    def _get(self, ticket_id: int) -> Ticket:
        t = self._one("id = ?", (ticket_id,))
        if t is None:
            raise NotFound(f"Không có số thứ tự #{ticket_id}", f"No ticket #{ticket_id}")
        return t

    def ticket(self, number: str, day: str | None = None) -> Ticket:
        """Today's ticket by its number (A015)."""
        number = number.strip().upper()
        t = self._one("day = ? AND number = ?", (day or self.today(), number))
        if t is None:
            raise NotFound(f"Hôm nay không có số {number}", f"No ticket {number} today")
        return t

    def _current(self, counter_no: int, day: str) -> Ticket | None:
        return self._one(
            "day = ? AND counter_no = ? AND status IN ('called', 'serving') "
            "ORDER BY called_at DESC, id DESC LIMIT 1",
            (day, counter_no),
        )

    # -- reading --

    def current(self, counter_no: int) -> Ticket | None:
        return self._current(counter_no, self.today())

    def waiting(self, area: str | None = None, limit: int = 200) -> list[Ticket]:
        sql = "day = ? AND status IN ('waiting', 'transferred')"
        params: tuple[Any, ...] = (self.today(),)
        if area:
            sql += " AND serve_area = ?"
            params += (area,)
        rows = self.store.conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE {sql} ORDER BY id LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [ticket_from_row(r) for r in rows]

    def view(self) -> QueueView:
        day = self.today()
        conn = self.store.conn
        waiting = {a.prefix: 0 for a in self.settings.areas_def}
        waiting_prio = dict(waiting)
        for serve, prio, n in conn.execute(
            "SELECT serve_area, priority != '', COUNT(*) FROM queue_tickets "
            "WHERE day = ? AND status IN ('waiting', 'transferred') GROUP BY 1, 2",
            (day,),
        ):
            waiting[serve] = waiting.get(serve, 0) + n
            if prio:
                waiting_prio[serve] = waiting_prio.get(serve, 0) + n
        current: dict[int, Ticket] = {}
        for row in conn.execute(
            f"SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE day = ? "
            "AND status IN ('called', 'serving') ORDER BY called_at, id",
            (day,),
        ):
            t = ticket_from_row(row)
            if t.counter_no is not None:
                current[t.counter_no] = t
        calls = tuple(
            Call(eid, counter, number, area, parse_iso(at), action == "recall")
            for eid, counter, number, area, at, action in conn.execute(
                "SELECT e.id, e.counter_no, t.number, t.serve_area, e.at, e.action "
                "FROM queue_events e JOIN queue_tickets t ON t.id = e.ticket_id "
                "WHERE e.day = ? AND e.action IN ('call', 'recall') ORDER BY e.id DESC LIMIT ?",
                (day, self.settings.board_calls),
            )
        )
        held = tuple(
            ticket_from_row(r)
            for r in conn.execute(
                f"SELECT {TICKET_COLUMNS} FROM queue_tickets WHERE day = ? "
                "AND status = 'on_hold' ORDER BY id",
                (day,),
            )
        )
        version = conn.execute("SELECT COALESCE(MAX(id), 0) FROM queue_events").fetchone()[0]
        return QueueView(
            day=day,
            version=int(version),
            waiting=waiting,
            waiting_priority=waiting_prio,
            current=current,
            calls=calls,
            on_hold=held,
            area_names={a.prefix: a.name for a in self.settings.areas_def},
        )

    def calls_since(self, after: int, limit: int = 500) -> list[Call]:
        """Today's calls and recalls after sequence number `after`, oldest first: what a board
        that last saw `after` has missed (the event stream's resume)."""
        return [
            Call(eid, counter, number, area, parse_iso(at), action == "recall")
            for eid, counter, number, area, at, action in self.store.conn.execute(
                "SELECT e.id, e.counter_no, t.number, t.serve_area, e.at, e.action "
                "FROM queue_events e JOIN queue_tickets t ON t.id = e.ticket_id "
                "WHERE e.day = ? AND e.action IN ('call', 'recall') AND e.id > ? "
                "ORDER BY e.id LIMIT ?",
                (self.today(), after, limit),
            )
        ]

    def version(self) -> int:
        """Changes whenever anything in the queue changes (the board polls this)."""
        row = self.store.conn.execute("SELECT COALESCE(MAX(id), 0) FROM queue_events").fetchone()
        return int(row[0])

    def log(self, start: date, end: date) -> list[dict[str, Any]]:
        """Every ticket issued from `start` to `end` (inclusive), in issue order: the queue
        log a supervisor exports. Codes and timestamps as stored; `dossiers` as a list."""
        if end < start:
            raise QueueError("Khoảng ngày không hợp lệ: ngày kết thúc trước ngày bắt đầu")
        rows = self.store.conn.execute(
            "SELECT number, area, priority, issued_at, called_at, counter_no, started_at, "
            "finished_at, status, dossiers FROM queue_tickets WHERE day >= ? AND day < ? "
            "ORDER BY day, issued_at, id",
            (start.isoformat(), (end + timedelta(days=1)).isoformat()),
        ).fetchall()
        return [
            {
                "number": r[0],
                "area": r[1],
                "priority": r[2],
                "issued_at": r[3] or "",
                "called_at": r[4] or "",
                "counter_no": r[5],
                "started_at": r[6] or "",
                "finished_at": r[7] or "",
                "status": r[8],
                "dossiers": json.loads(r[9]),
            }
            for r in rows
        ]

    def stats(self, day: date | None = None) -> QueueStats:
        """Today's figures: waiting now, average wait and service per area and counter,
        no-show rate."""
        d = (day or to_vn(self.now()).date()).isoformat()
        rows = self.store.conn.execute(
            "SELECT serve_area, counter_no, status, issued_at, called_at, started_at, "
            "finished_at FROM queue_tickets WHERE day = ?",
            (d,),
        ).fetchall()
        by_area: dict[str, list[tuple[Any, ...]]] = {a.prefix: [] for a in self.settings.areas_def}
        by_counter: dict[str, list[tuple[Any, ...]]] = {}
        for r in rows:
            by_area.setdefault(r[0], []).append(r)
            if r[1] is not None:
                by_counter.setdefault(str(r[1]), []).append(r)
        return QueueStats(
            day=d,
            total=_figures("", rows),
            areas=tuple(_figures(k, v) for k, v in by_area.items()),
            counters=tuple(
                _figures(k, v) for k, v in sorted(by_counter.items(), key=lambda kv: int(kv[0]))
            ),
        )


def _figures(key: str, rows: list[tuple[Any, ...]]) -> Figures:
    waits: list[float] = []
    services: list[float] = []
    served = no_show = waiting = 0
    for _area, _counter, status, issued, called, started, finished in rows:
        if status in QUEUED:
            waiting += 1
        if called:
            waits.append((parse_iso(called) - parse_iso(issued)).total_seconds())
        if status == "done" and finished:
            served += 1
            begin = started or called
            if begin:
                services.append((parse_iso(finished) - parse_iso(begin)).total_seconds())
        elif status == "no_show":
            no_show += 1
    return Figures(
        key=key,
        issued=len(rows),
        waiting=waiting,
        served=served,
        no_show=no_show,
        avg_wait=sum(waits) / len(waits) if waits else None,
        avg_service=sum(services) / len(services) if services else None,
    )
