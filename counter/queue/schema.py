"""The queue's SQLite tables, their upgrade, and reading a ticket row.

One home for the SQL shape shared by the counter's store (its migration) and the hub's file.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import sqlite_utils

from counter.queue.models import Ticket
from counter.timeutil import parse_iso

SCHEMA_SQL = """
CREATE TABLE {ine} queue_tickets (
    id INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    area TEXT NOT NULL,
    seq INTEGER NOT NULL,
    number TEXT NOT NULL,
    serve_area TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT '',
    person_key TEXT NOT NULL DEFAULT '',
    channel TEXT NOT NULL DEFAULT 'kiosk',
    status TEXT NOT NULL CHECK (status IN
        ('waiting', 'called', 'serving', 'done', 'no_show', 'on_hold', 'transferred',
         'not_served')),
    counter_no INTEGER,
    target_counter INTEGER,
    issued_at TEXT NOT NULL,
    called_at TEXT,
    started_at TEXT,
    finished_at TEXT,
    call_count INTEGER NOT NULL DEFAULT 0,
    dossiers TEXT NOT NULL DEFAULT '[]',
    updated_at TEXT NOT NULL,
    UNIQUE (day, area, seq)
);
CREATE INDEX {ine} queue_tickets_queued ON queue_tickets(day, id)
    WHERE status IN ('waiting', 'transferred');
CREATE INDEX {ine} queue_tickets_queued_priority ON queue_tickets(day, id)
    WHERE status IN ('waiting', 'transferred') AND priority != '';
CREATE INDEX {ine} queue_tickets_direct ON queue_tickets(target_counter, id)
    WHERE target_counter IS NOT NULL;
CREATE INDEX {ine} queue_tickets_current ON queue_tickets(counter_no, day)
    WHERE status IN ('called', 'serving');
CREATE INDEX {ine} queue_tickets_person ON queue_tickets(day, person_key);
CREATE TABLE {ine} queue_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES queue_tickets(id),
    day TEXT NOT NULL,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    counter_no INTEGER,
    details TEXT NOT NULL DEFAULT '{{}}'
);
CREATE INDEX {ine} queue_events_day ON queue_events(day, action, id);
CREATE TABLE {ine} queue_counters (
    counter_no INTEGER PRIMARY KEY,
    day TEXT NOT NULL,
    priority_streak INTEGER NOT NULL DEFAULT 0,
    seen_at TEXT NOT NULL
);
CREATE TABLE {ine} queue_requests (
    request_id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    response TEXT NOT NULL
);
"""


def create_queue_tables(db: sqlite_utils.Database, *, if_not_exists: bool = False) -> None:
    """The queue tables; called by the counter store's migration and by the hub's own file."""
    db.executescript(SCHEMA_SQL.format(ine="IF NOT EXISTS" if if_not_exists else ""))


def upgrade_queue_tables(conn: sqlite3.Connection) -> bool:
    """Bring a file made by an earlier version up to this one, run outside any transaction,
    before the engine writes: the current-ticket index made partial (`_partial_current`),
    and a file made before the day-end close rebuilt so it can store `not_served` (its CHECK
    lists the statuses): SQLite's documented table rebuild, foreign keys off, in one
    transaction. True if the file was rebuilt."""
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'queue_tickets'"
    ).fetchone()
    if row is None:
        return False
    _partial_current(conn)
    if "'not_served'" in row[0]:
        return False
    table = SCHEMA_SQL.split("CREATE INDEX", 1)[0].format(ine="")
    indexes = "CREATE INDEX" + SCHEMA_SQL.split("CREATE INDEX", 1)[1].split("CREATE TABLE")[0]
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(table.replace("queue_tickets (", "queue_tickets_new (", 1))
            conn.execute("INSERT INTO queue_tickets_new SELECT * FROM queue_tickets")
            conn.execute("DROP TABLE queue_tickets")
            conn.execute("ALTER TABLE queue_tickets_new RENAME TO queue_tickets")
            for statement in indexes.format(ine="").split(";"):
                if statement.strip():
                    conn.execute(statement)
            if conn.execute("PRAGMA foreign_key_check").fetchall():
                raise RuntimeError("queue_tickets rebuild broke a foreign key")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
    return True


def _partial_current(conn: sqlite3.Connection) -> None:
    """Replace the index of every ticket by (day, counter, status) with one of the called and
    served tickets only, which is all that reads it (a counter's current ticket). The full one
    changed twice on every call-next and its scattered pages went into every commit: on a
    200,000-ticket file the two UPDATEs of a call-next cost 12 µs each with it, 8 µs without,
    and a group commit 41 → 23 µs per call."""
    old = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'queue_tickets_counter'"
    ).fetchone()
    if old is None:
        return
    current = SCHEMA_SQL.split("CREATE INDEX {ine} queue_tickets_current", 1)[1].split(";")[0]
    with conn:  # one transaction: the file never lacks an index a query plans with
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DROP INDEX queue_tickets_counter")
        conn.execute(f"CREATE INDEX IF NOT EXISTS queue_tickets_current{current}")


TICKET_COLUMNS = (
    "id, day, number, area, serve_area, priority, channel, status, counter_no, target_counter, "
    "issued_at, called_at, started_at, finished_at, call_count, dossiers"
)


def ticket_from_row(row: tuple[Any, ...]) -> Ticket:
    """A ticket as read from a `SELECT {TICKET_COLUMNS}` row."""
    (tid, day, number, area, serve, prio, channel, status, counter, target, issued, called,
     started, finished, count, dossiers) = row  # fmt: skip
    return Ticket(
        tid,
        day,
        number,
        area,
        serve,
        prio,
        channel,
        status,
        counter,
        target,
        parse_iso(issued),
        parse_iso(called) if called else None,
        parse_iso(started) if started else None,
        parse_iso(finished) if finished else None,
        count,
        tuple(json.loads(dossiers)),
    )
