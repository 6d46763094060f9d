"""The day-end close: yesterday's open tickets are closed as not served (serving → done), and
request ids older than yesterday are forgotten.

Its own home because both the hub (at start) and the engine (first action of a day) run it,
and the rule of what a left-over ticket becomes is read on its own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlite_utils

from counter.queue.models import LEFT_OVER
from counter.timeutil import iso


def close_past_days(db: sqlite_utils.Database, today: str, now: datetime) -> int:
    """Close every ticket of a day before `today` still open, in the caller's transaction:
    a `close_day` event per ticket, then serving → done and the rest → not_served; how many
    were closed as not served."""
    at = iso(now)
    open_states = (*LEFT_OVER, "serving")
    marks = ",".join("?" * len(open_states))
    where = f"day < ? AND status IN ({marks})"
    db.conn.execute(
        "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) "
        f"SELECT id, day, ?, 'close_day', counter_no, json_object('from', status) "
        f"FROM queue_tickets WHERE {where} ORDER BY id",
        (at, today, *open_states),
    )
    db.conn.execute(
        "UPDATE queue_tickets SET status = 'done', updated_at = ? "
        "WHERE day < ? AND status = 'serving'",
        (at, today),
    )
    left = ",".join("?" * len(LEFT_OVER))
    cur = db.conn.execute(
        "UPDATE queue_tickets SET status = 'not_served', finished_at = ?, updated_at = ? "
        f"WHERE day < ? AND status IN ({left})",
        (at, at, today, *LEFT_OVER),
    )
    forget_old_requests(db, today)
    return int(cur.rowcount)


def forget_old_requests(db: sqlite_utils.Database, today: str) -> int:
    """Delete the stored answers of request ids from before yesterday; how many.

    A request id exists so that a counter retrying after a lost reply (within seconds: its
    client tries twice) gets the same ticket. Kept for ever, they grew the hub's file by a
    row of ticket JSON per action (a busy centre: ~2,000 a day) and every call-next looked
    its id up in an ever larger index. Yesterday's stay, so a retry across midnight is
    still answered from the store."""
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    # `at` is ISO 8601 in Vietnam time: text order is time order, and "2026-11-30T…" sorts
    # before "2026-12-01" (the day) while "2026-12-01T…" does not.
    cur = db.conn.execute("DELETE FROM queue_requests WHERE at < ?", (yesterday,))
    return int(cur.rowcount)
