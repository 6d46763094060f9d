"""The queue-number engine (lấy số thứ tự): tickets per service area, calling, priority, board.

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

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import sqlite_utils

from counter.errors import CounterError, IllegalTransition, InvalidInput, NotFound
from counter.text import nfc
from counter.timeutil import Clock, iso, parse_iso, system_clock, to_vn

STATUSES = (
    "waiting", "called", "serving", "done", "no_show", "on_hold", "transferred", "not_served",
)  # fmt: skip
STATUS_LABELS = {
    "waiting": ("Đang chờ", "Waiting"),
    "called": ("Đã gọi", "Called"),
    "serving": ("Đang phục vụ", "Serving"),
    "done": ("Đã xong", "Done"),
    "no_show": ("Vắng mặt", "No-show"),
    "on_hold": ("Tạm hoãn", "On hold"),
    "transferred": ("Đã chuyển", "Transferred"),
    "not_served": ("Không được phục vụ (hết ngày)", "Not served (day ended)"),
}
HALL_SOUNDS = ("voice", "browser", "chime", "off")
HALL_VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")  # espeak-ng: northern, central, southern
QUEUED = ("waiting", "transferred")  # states "call next" picks from
OPEN = ("called", "serving")  # a counter's current ticket
LEFT_OVER = ("waiting", "transferred", "on_hold", "called")  # closed as not served at day end
CHANNELS = ("kiosk", "counter", "app", "phone")
ENGINE_VERSION = 1


class QueueError(CounterError):
    """A queue action that cannot be done now (outside issuing hours, limit reached, …)."""


# -- settings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Area:
    """A service area (lĩnh vực): its ticket prefix, its name and its daily number range."""

    prefix: str
    name: str
    first: int = 1
    last: int = 999

    def number(self, seq: int) -> str:
        return f"{self.prefix}{seq:0{max(3, len(str(self.last)))}d}"


@dataclass(frozen=True)
class PriorityClass:
    code: str
    name: str


DEFAULT_AREAS: tuple[Area, ...] = (
    Area("A", "Hộ tịch – Chứng thực"),
    Area("B", "Cư trú"),
    Area("C", "Đất đai – Xây dựng"),
    Area("D", "Hộ kinh doanh"),
    Area("E", "Lĩnh vực khác"),
)
DEFAULT_PRIORITY: tuple[PriorityClass, ...] = (
    PriorityClass("elderly", "Người từ 75 tuổi trở lên"),
    PriorityClass("disability", "Người khuyết tật"),
    PriorityClass("pregnant", "Phụ nữ mang thai"),
    PriorityClass("small_child", "Người có con nhỏ dưới 36 tháng"),
    PriorityClass("merit", "Người có công với cách mạng"),
)


@dataclass(frozen=True)
class QueueSettings:
    """The `[queue]` section: hub address, areas, priority classes, interleave, limits."""

    hub_url: str = ""  # empty: the engine runs inside the app (single counter)
    # The centre's shared secret: counters and kiosks send it, the hub requires it for
    # everything but the public board. Empty on the hub: its API is open (a warning says so).
    hub_token: str = ""
    serves: tuple[str, ...] = ()  # prefixes this counter serves; empty = all areas
    areas_def: tuple[Area, ...] = DEFAULT_AREAS
    priority_classes: tuple[PriorityClass, ...] = DEFAULT_PRIORITY
    interleave: int = 3  # after this many priority calls in a row, one ordinary (0 = never)
    issue_start: time = time(8, 0)
    issue_end: time = time(16, 0)
    max_per_person_per_day: int = 2  # 0 = no limit
    max_per_person_per_area: int = 1  # 0 = no limit
    timeout_seconds: float = 2.0  # hub requests
    board_calls: int = 8  # how many recent calls the board lists
    counter_areas: dict[int, tuple[str, ...]] = field(default_factory=dict)  # hub side
    # The waiting hall's sound (hub side): "voice" = chime + the call spoken from the hub's
    # clips, "browser" = chime + the browser's own voice, "chime", or "off".
    hall_sound: str = "voice"
    hall_voice: str = "vi"  # the espeak-ng voice the clips are rendered with
    hall_recordings: str = ""  # a folder of the centre's own recorded clips (word.wav)

    @property
    def areas(self) -> tuple[str, ...]:
        """The prefixes this counter serves (the old `QueueConfig.areas` meaning)."""
        return self.serves

    def area(self, prefix: str) -> Area:
        for a in self.areas_def:
            if a.prefix == prefix:
                return a
        raise InvalidInput(
            "area",
            f"Không có lĩnh vực “{prefix}” trong cấu hình hàng đợi",
            f"No service area {prefix!r} in the queue configuration",
        )

    def priority_name(self, code: str) -> str:
        if not code:
            return ""
        for p in self.priority_classes:
            if p.code == code:
                return p.name
        raise InvalidInput(
            "priority",
            f"Không có nhóm ưu tiên “{code}”",
            f"No priority class {code!r}",
        )

    def served_by(self, counter_no: int, requested: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The areas a counter calls from: what it asked for, else the hub's map, else all."""
        chosen = requested or self.counter_areas.get(counter_no, ()) or ()
        known = tuple(a.prefix for a in self.areas_def)
        return tuple(p for p in chosen if p in known) or known


class QueueConfigError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


_QUEUE_KEYS = {
    "hub_url",
    "hub_token",
    "areas",
    "issue_start",
    "issue_end",
    "interleave",
    "max_per_person_per_day",
    "max_per_person_per_area",
    "timeout_seconds",
    "board_calls",
    "hall_sound",
    "hall_voice",
    "hall_recordings",
    "area",
    "priority",
    "counter",
}


def _clock_value(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{1,2}:\d{2}", value):
        hh, mm = (int(p) for p in value.split(":"))
        if hh < 24 and mm < 60:
            return time(hh, mm)
    return None


def _int_value(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_queue_config(raw: dict[str, Any], problems: list[str] | None = None) -> QueueSettings:
    """Build QueueSettings from the parsed `[queue]` table.

    With `problems` given, each mistake is appended to it in config.py's style and a default
    is used; without, a `QueueConfigError` lists them all. The TOML shape::

        [queue]
        hub_url = ""                 # http://10.0.0.5:8710, empty = single counter
        hub_token = ""               # the centre's shared hub secret (≥ 16 characters)
        areas = ["A", "B"]           # prefixes this counter serves, empty = all
        issue_start = "08:00"
        issue_end = "16:00"
        interleave = 3               # one ordinary ticket after 3 priority calls in a row
        max_per_person_per_day = 2   # 0 = no limit
        max_per_person_per_area = 1
        timeout_seconds = 2
        board_calls = 8
        hall_sound = "voice"         # hub: voice | browser | chime | off
        hall_voice = "vi"            # hub: vi | vi-vn-x-central | vi-vn-x-south
        hall_recordings = ""         # hub: folder of recorded clips, e.g. "hall-voice"
        [[queue.area]]               # repeat per area; none = the five built-in areas
        prefix = "A"
        name = "Hộ tịch – Chứng thực"
        first = 1
        last = 999
        [[queue.priority]]           # repeat per class; none = the built-in classes
        code = "elderly"
        name = "Người từ 75 tuổi trở lên"
        [queue.counter]              # hub only: counter number → the areas it serves
        1 = ["A", "B"]
    """
    out: list[str] = [] if problems is None else problems
    start_len = len(out)
    d = QueueSettings()
    if not isinstance(raw, dict):
        out.append(f"[queue]: expected a table (section), got {raw!r}")
        raw = {}
    for key in raw:
        if key not in _QUEUE_KEYS:
            out.append(f"[queue] {key}: unknown key (known: {', '.join(sorted(_QUEUE_KEYS))})")

    def _get(key: str, kind: type, default: Any, what: str) -> Any:
        if key not in raw:
            return default
        value = raw[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if kind is int:
            value = _int_value(value)
        if value is None or not isinstance(value, kind):
            out.append(f"[queue] {key}: expected {what}, got {raw[key]!r}")
            return default
        return value

    hub = _get("hub_url", str, d.hub_url, "a string").strip().rstrip("/")
    if hub and not re.match(r"^https?://[^\s/]+", hub):
        out.append(f"[queue] hub_url: expected an http(s) address or empty, got {hub!r}")
        hub = ""
    token = _get("hub_token", str, d.hub_token, "a string").strip()
    if token and (len(token) < 16 or not token.isprintable() or not token.isascii()):
        out.append(
            "[queue] hub_token: expected at least 16 printable ASCII characters "
            "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe())'`), or empty"
        )
        token = ""
    times: dict[str, time] = {}
    for key, default in (("issue_start", d.issue_start), ("issue_end", d.issue_end)):
        value = _clock_value(raw.get(key, default))
        if value is None:
            out.append(f'[queue] {key}: expected a time "HH:MM", got {raw[key]!r}')
            value = default
        times[key] = value
    if times["issue_start"] >= times["issue_end"]:
        out.append("[queue]: expected issue_start before issue_end")
    interleave = _get("interleave", int, d.interleave, "an integer")
    if not 0 <= interleave <= 50:
        out.append(
            f"[queue] interleave: expected 0–50 (0 = priority always first), got {interleave}"
        )
        interleave = d.interleave
    per_day = _get("max_per_person_per_day", int, d.max_per_person_per_day, "an integer")
    per_area = _get("max_per_person_per_area", int, d.max_per_person_per_area, "an integer")
    for key, value in (("max_per_person_per_day", per_day), ("max_per_person_per_area", per_area)):
        if not 0 <= value <= 99:
            out.append(f"[queue] {key}: expected 0–99 (0 = no limit), got {value}")
    timeout = _get("timeout_seconds", float, d.timeout_seconds, "a number")
    if not 0 < timeout <= 30:
        out.append(f"[queue] timeout_seconds: expected 0–30 seconds, got {timeout}")
        timeout = d.timeout_seconds
    board_calls = _get("board_calls", int, d.board_calls, "an integer")
    if not 1 <= board_calls <= 30:
        out.append(f"[queue] board_calls: expected 1–30, got {board_calls}")
        board_calls = d.board_calls

    hall: dict[str, str] = {}
    for key, choices in (("hall_sound", HALL_SOUNDS), ("hall_voice", HALL_VOICES)):
        value = _get(key, str, getattr(d, key), "a string")
        if value not in choices:
            out.append(f"[queue] {key}: expected one of {', '.join(choices)}, got {value!r}")
            value = getattr(d, key)
        hall[key] = value
    recordings = _get("hall_recordings", str, d.hall_recordings, "a folder path").strip()

    areas = d.areas_def
    if "area" in raw:
        areas = _parse_areas(raw["area"], out) or d.areas_def
    prefixes = {a.prefix for a in areas}
    priorities = d.priority_classes
    if "priority" in raw:
        priorities = _parse_priorities(raw["priority"], out)

    serves_raw = raw.get("areas", [])
    serves: tuple[str, ...] = ()
    if not isinstance(serves_raw, list) or not all(isinstance(a, str) for a in serves_raw):
        out.append(f"[queue] areas: expected a list of area prefixes, got {serves_raw!r}")
    else:
        serves = tuple(a.strip().upper() for a in serves_raw)
        for p in serves:
            if p not in prefixes:
                out.append(
                    f"[queue] areas: {p!r} is not a defined area "
                    f"(defined: {', '.join(sorted(prefixes))})"
                )
    counter_areas: dict[int, tuple[str, ...]] = {}
    counters = raw.get("counter", {})
    if not isinstance(counters, dict):
        out.append(
            f"[queue.counter]: expected a table of counter number = [prefixes], got {counters!r}"
        )
        counters = {}
    for key, value in counters.items():
        if not (str(key).isdigit() and 1 <= int(key) <= 99):
            out.append(f"[queue.counter] {key}: expected a counter number 1–99")
            continue
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v in prefixes for v in value
        ):
            out.append(
                f"[queue.counter] {key}: expected a list of defined area prefixes, got {value!r}"
            )
            continue
        counter_areas[int(key)] = tuple(value)

    settings = QueueSettings(
        hub_url=hub,
        hub_token=token,
        serves=serves,
        areas_def=areas,
        priority_classes=priorities,
        interleave=interleave,
        issue_start=times["issue_start"],
        issue_end=times["issue_end"],
        max_per_person_per_day=per_day,
        max_per_person_per_area=per_area,
        timeout_seconds=timeout,
        board_calls=board_calls,
        counter_areas=counter_areas,
        hall_sound=hall["hall_sound"],
        hall_voice=hall["hall_voice"],
        hall_recordings=recordings,
    )
    if problems is None and len(out) > start_len:
        raise QueueConfigError(out)
    return settings


def _parse_areas(value: Any, out: list[str]) -> tuple[Area, ...]:
    if not isinstance(value, list) or not value:
        out.append("[queue.area]: expected one or more [[queue.area]] tables")
        return ()
    areas: list[Area] = []
    for i, t in enumerate(value, 1):
        where = f"[[queue.area]] #{i}"
        if not isinstance(t, dict):
            out.append(f"{where}: expected a table with prefix, name, first, last")
            continue
        for key in t:
            if key not in ("prefix", "name", "first", "last"):
                out.append(f"{where} {key}: unknown key (known: first, last, name, prefix)")
        prefix = t.get("prefix")
        name = t.get("name")
        first = _int_value(t.get("first", 1))
        last = _int_value(t.get("last", 999))
        ok = True
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z]{1,2}", prefix):
            out.append(f"{where} prefix: expected one or two capital letters, got {prefix!r}")
            ok = False
        if not isinstance(name, str) or not nfc(name):
            out.append(f"{where} name: expected the area's name, got {name!r}")
            ok = False
        if first is None or last is None or not 1 <= first <= last <= 9999:
            out.append(
                f"{where} first/last: expected 1 <= first <= last <= 9999, "
                f"got {t.get('first')!r}…{t.get('last')!r}"
            )
            ok = False
        if ok:
            assert isinstance(prefix, str) and isinstance(name, str)
            assert first is not None and last is not None
            areas.append(Area(prefix, nfc(name), first, last))
    if len({a.prefix for a in areas}) != len(areas):
        out.append("[queue.area]: each area needs a distinct prefix")
    return tuple(areas)


def _parse_priorities(value: Any, out: list[str]) -> tuple[PriorityClass, ...]:
    if not isinstance(value, list):
        out.append("[queue.priority]: expected [[queue.priority]] tables with code and name")
        return ()
    classes: list[PriorityClass] = []
    for i, t in enumerate(value, 1):
        where = f"[[queue.priority]] #{i}"
        if not isinstance(t, dict):
            out.append(f"{where}: expected a table with code and name")
            continue
        for key in t:
            if key not in ("code", "name"):
                out.append(f"{where} {key}: unknown key (known: code, name)")
        code, name = t.get("code"), t.get("name")
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", code):
            out.append(f"{where} code: expected a short lower-case code, got {code!r}")
            continue
        if not isinstance(name, str) or not nfc(name):
            out.append(f"{where} name: expected the class's name, got {name!r}")
            continue
        classes.append(PriorityClass(code, nfc(name)))
    if len({c.code for c in classes}) != len(classes):
        out.append("[queue.priority]: each priority class needs a distinct code")
    return tuple(classes)


def settings_from(config: Any) -> QueueSettings:
    """QueueSettings from a Config, whether `config.queue` is already one or the old QueueConfig."""
    q = getattr(config, "queue", None)
    if isinstance(q, QueueSettings):
        return q
    if q is None:
        return QueueSettings()
    return QueueSettings(
        hub_url=getattr(q, "hub_url", ""),
        serves=tuple(getattr(q, "areas", ())),
        issue_start=getattr(q, "issue_start", time(8, 0)),
        issue_end=getattr(q, "issue_end", time(16, 0)),
    )


# -- schema -------------------------------------------------------------------------------

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
CREATE INDEX {ine} queue_tickets_counter ON queue_tickets(day, counter_no, status);
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


def upgrade_queue_tables(conn: Any) -> bool:
    """Let a file made before the day-end close store `not_served` (its CHECK lists the
    statuses): SQLite's documented table rebuild, foreign keys off, in one transaction.
    Run outside any transaction, before the engine writes; True if the file was rebuilt."""
    row = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'queue_tickets'"
    ).fetchone()
    if row is None or "'not_served'" in row[0]:
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


# -- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ticket:
    id: int
    day: str
    number: str
    area: str
    serve_area: str
    priority: str
    channel: str
    status: str
    counter_no: int | None
    target_counter: int | None
    issued_at: datetime
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    call_count: int = 0
    dossiers: tuple[str, ...] = ()
    people_ahead: int = 0  # filled when issued

    def status_label(self, lang: str = "vi") -> str:
        vi, en = STATUS_LABELS[self.status]
        return en if lang == "en" else vi

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, datetime):
                value = iso(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[key] = value
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ticket:
        values = dict(data)
        for key in ("issued_at", "called_at", "started_at", "finished_at"):
            if values.get(key):
                values[key] = parse_iso(values[key])
        values["dossiers"] = tuple(values.get("dossiers") or ())
        return cls(**values)


_TICKET_COLUMNS = (
    "id, day, number, area, serve_area, priority, channel, status, counter_no, target_counter, "
    "issued_at, called_at, started_at, finished_at, call_count, dossiers"
)


def _ticket(row: tuple[Any, ...]) -> Ticket:
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


@dataclass(frozen=True)
class Call:
    """One call shown on the board: counter, number, when; `id` orders them (newest highest)."""

    id: int
    counter_no: int
    number: str
    area: str
    at: datetime
    recall: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "counter_no": self.counter_no,
            "number": self.number,
            "area": self.area,
            "at": iso(self.at),
            "recall": self.recall,
        }

    def to_public_json(self) -> dict[str, Any]:
        """What the waiting hall may see of a call: its order, number, counter, area, time."""
        return {
            "seq": self.id,
            "number": self.number,
            "counter_no": self.counter_no,
            "area": self.area,
            "at": iso(self.at),
            "recall": self.recall,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Call:
        return cls(
            d["id"], d["counter_no"], d["number"], d["area"], parse_iso(d["at"]), d["recall"]
        )


@dataclass(frozen=True)
class QueueView:
    """What a panel or the board shows: waiting per area, each counter's call, recent calls."""

    day: str
    version: int
    waiting: dict[str, int]
    waiting_priority: dict[str, int]
    current: dict[int, Ticket]
    calls: tuple[Call, ...]
    on_hold: tuple[Ticket, ...]
    area_names: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "version": self.version,
            "waiting": self.waiting,
            "waiting_priority": self.waiting_priority,
            "current": {str(k): t.to_json() for k, t in self.current.items()},
            "calls": [c.to_json() for c in self.calls],
            "on_hold": [t.to_json() for t in self.on_hold],
            "area_names": self.area_names,
        }

    def to_public_json(self) -> dict[str, Any]:
        """The public board's view: number, counter and area of each call, waiting counts per
        area. No priority class, no dossier codes, no ticket ids (the board has no token)."""
        return {
            "day": self.day,
            "version": self.version,
            "waiting": self.waiting,
            "current": {
                str(k): {"number": t.number, "area": t.serve_area}
                for k, t in sorted(self.current.items())
            },
            "calls": [c.to_public_json() for c in self.calls],
            "area_names": self.area_names,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QueueView:
        return cls(
            d["day"],
            d["version"],
            dict(d["waiting"]),
            dict(d["waiting_priority"]),
            {int(k): Ticket.from_json(t) for k, t in d["current"].items()},
            tuple(Call.from_json(c) for c in d["calls"]),
            tuple(Ticket.from_json(t) for t in d["on_hold"]),
            dict(d["area_names"]),
        )


@dataclass(frozen=True)
class Figures:
    """Today's figures of one area or one counter (times in seconds)."""

    key: str
    issued: int = 0
    waiting: int = 0
    served: int = 0
    no_show: int = 0
    avg_wait: float | None = None
    avg_service: float | None = None

    @property
    def no_show_rate(self) -> float | None:
        ended = self.served + self.no_show
        return self.no_show / ended if ended else None


@dataclass(frozen=True)
class QueueStats:
    day: str
    total: Figures
    areas: tuple[Figures, ...]
    counters: tuple[Figures, ...]

    def to_json(self) -> dict[str, Any]:
        def f(x: Figures) -> dict[str, Any]:
            return {**x.__dict__, "no_show_rate": x.no_show_rate}

        return {
            "day": self.day,
            "total": f(self.total),
            "areas": [f(a) for a in self.areas],
            "counters": [f(c) for c in self.counters],
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> QueueStats:
        def f(x: dict[str, Any]) -> Figures:
            return Figures(**{k: v for k, v in x.items() if k != "no_show_rate"})

        return cls(
            d["day"],
            f(d["total"]),
            tuple(f(a) for a in d["areas"]),
            tuple(f(c) for c in d["counters"]),
        )


def person_key(identifier: str, secret: bytes) -> str:
    """A one-way key for per-person limits: the digits of an ID or phone, HMAC'd with this
    installation's secret (no PII kept). Without the secret the key cannot be recomputed: an
    unkeyed hash of every 10-digit phone number takes minutes."""
    digits = re.sub(r"\D", "", identifier or "")
    if digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not digits:
        return ""
    return hmac.new(secret, f"counter-queue:{digits}".encode(), hashlib.sha256).hexdigest()[:32]


PERSON_KEY_SECRET = "queue.person_key_secret"  # in the store's owner-only vault


# -- the engine ---------------------------------------------------------------------------


class _StoreLike(Protocol):
    @property
    def conn(self) -> Any: ...

    def write(self) -> AbstractContextManager[sqlite_utils.Database]: ...


OnIssued = Callable[[sqlite_utils.Database, Ticket], None]


_DOSSIER_CODE = re.compile(r"[0-9A-Za-z][0-9A-Za-z.\-]{0,63}")


class QueueEngine:
    """The queue on one SQLite store. Not thread-safe: one engine (connection) per thread."""

    def __init__(self, store: _StoreLike, settings: QueueSettings, clock: Clock = system_clock):
        self.store = store
        self.settings = settings
        self.clock = clock
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
        now = iso(self.now())
        open_states = (*LEFT_OVER, "serving")
        marks = ",".join("?" * len(open_states))
        where = f"day < ? AND status IN ({marks})"
        db.conn.execute(
            "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) "
            f"SELECT id, day, ?, 'close_day', counter_no, json_object('from', status) "
            f"FROM queue_tickets WHERE {where} ORDER BY id",
            (now, today, *open_states),
        )
        db.conn.execute(
            "UPDATE queue_tickets SET status = 'done', updated_at = ? "
            "WHERE day < ? AND status = 'serving'",
            (now, today),
        )
        left = ",".join("?" * len(LEFT_OVER))
        cur = db.conn.execute(
            "UPDATE queue_tickets SET status = 'not_served', finished_at = ?, updated_at = ? "
            f"WHERE day < ? AND status IN ({left})",
            (now, now, today, *LEFT_OVER),
        )
        self._closed_before = today
        return int(cur.rowcount)

    def _day_turned(self, db: sqlite_utils.Database, today: str) -> None:
        if self.closes_days and self._closed_before != today:
            self._close_past_days(db, today)

    # -- helpers --

    def _person_secret(self) -> bytes:
        """This installation's key of `person_key`, made on first use, kept in the vault."""
        conn = self.store.conn
        row = conn.execute("SELECT value FROM vault.secrets WHERE key = ?", (PERSON_KEY_SECRET,))
        found = row.fetchone()
        if found is None:
            conn.execute(
                "INSERT OR IGNORE INTO vault.secrets(key, value) VALUES (?, ?)",
                (PERSON_KEY_SECRET, secrets.token_hex(32)),
            )
            # Keys made before there was a secret were plain SHA-256 of a phone or ID number,
            # reversible by trying them all: forget them (today's limits start again).
            conn.execute("UPDATE queue_tickets SET person_key = '' WHERE person_key != ''")
            found = conn.execute(
                "SELECT value FROM vault.secrets WHERE key = ?", (PERSON_KEY_SECRET,)
            ).fetchone()
        return bytes.fromhex(str(found[0]))

    def now(self) -> datetime:
        return to_vn(self.clock())

    @staticmethod
    def day_of(moment: datetime) -> str:
        return to_vn(moment).date().isoformat()

    def today(self) -> str:
        return self.day_of(self.now())

    def _one(self, sql: str, params: tuple[Any, ...]) -> Ticket | None:
        row = self.store.conn.execute(
            f"SELECT {_TICKET_COLUMNS} FROM queue_tickets WHERE {sql}", params
        ).fetchone()
        return None if row is None else _ticket(row)

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

    def _event(
        self, db: sqlite_utils.Database, t: Ticket, action: str, counter: int | None, **details: Any
    ) -> None:
        db.conn.execute(
            "INSERT INTO queue_events(ticket_id, day, at, action, counter_no, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (t.id, t.day, iso(self.now()), action, counter,
             json.dumps(details, ensure_ascii=False)),
        )  # fmt: skip

    def _set(self, db: sqlite_utils.Database, t: Ticket, **changes: Any) -> Ticket:
        """Change a ticket read in this same transaction; the changed ticket is built here, as
        a re-read would give it (times to the second, dossiers as a tuple), not read back:
        the SELECT and its parsing were a fifth of a call's cost under 50 counters."""
        changes["updated_at"] = iso(self.now())
        cols = ", ".join(f"{k} = ?" for k in changes)
        params = tuple(iso(v) if isinstance(v, datetime) else v for v in changes.values())
        db.conn.execute(f"UPDATE queue_tickets SET {cols} WHERE id = ?", (*params, t.id))
        return replace(t, **{k: _as_read(k, v) for k, v in changes.items() if k != "updated_at"})

    def _idempotent(self, request_id: str | None, fn: Callable[[], Any]) -> Any:
        """Run `fn` once per request id; a retry gets the stored answer (JSON form)."""
        if not request_id:
            return fn()
        row = self.store.conn.execute(
            "SELECT response FROM queue_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is not None:
            return _decode(json.loads(row[0]))
        result = fn()
        self.store.conn.execute(
            "INSERT INTO queue_requests(request_id, at, response) VALUES (?, ?, ?)",
            (request_id, iso(self.now()), json.dumps(_encode(result), ensure_ascii=False)),
        )
        return result

    def _current(self, counter_no: int, day: str) -> Ticket | None:
        return self._one(
            "day = ? AND counter_no = ? AND status IN ('called', 'serving') "
            "ORDER BY called_at DESC, id DESC LIMIT 1",
            (day, counter_no),
        )

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
        key = person_key(person, self._person_secret()) if person else ""
        day = self.day_of(now)
        with self.store.write() as db:

            def run() -> Ticket:
                self._day_turned(db, day)
                if key:
                    self._check_limits(key, a, day)
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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

    def _check_limits(self, key: str, area: Area, day: str) -> None:
        s = self.settings
        rows = self.store.conn.execute(
            "SELECT area, COUNT(*) FROM queue_tickets WHERE day = ? AND person_key = ? "
            "GROUP BY area",
            (day, key),
        ).fetchall()
        per_area = dict(rows)
        if s.max_per_person_per_day and sum(per_area.values()) >= s.max_per_person_per_day:
            raise QueueError(
                f"Mỗi người chỉ được lấy {s.max_per_person_per_day} số mỗi ngày",
                f"At most {s.max_per_person_per_day} numbers per person per day",
            )
        if s.max_per_person_per_area and per_area.get(area.prefix, 0) >= s.max_per_person_per_area:
            raise QueueError(
                f"Mỗi người chỉ được lấy {s.max_per_person_per_area} số cho lĩnh vực {area.name} "
                "mỗi ngày",
                f"At most {s.max_per_person_per_area} number(s) per person for area "
                f"{area.prefix} per day",
            )

    # -- calling --

    def call_next(
        self, counter_no: int, areas: tuple[str, ...] = (), *, request_id: str | None = None
    ) -> Ticket | None:
        """Call the next ticket for a counter (priority first, interleaved, then FIFO).

        The counter's current ticket, if any, is finished when the next one is called (the
        officer moved on). Returns None, changing nothing, when nobody waits."""
        serves = self.settings.served_by(counter_no, areas)
        with self.store.write() as db:
            return self._idempotent(  # type: ignore[no-any-return]
                request_id, lambda: self._call_next(db, counter_no, serves)
            )

    def _call_next(
        self, db: sqlite_utils.Database, counter_no: int, serves: tuple[str, ...]
    ) -> Ticket | None:
        now = self.now()
        day = self.day_of(now)
        self._day_turned(db, day)
        streak = self._streak(db, counter_no, day)
        marks = ",".join("?" * len(serves))
        base = (
            f"day = ? AND status IN ('waiting', 'transferred') AND "
            f"((target_counter IS NULL AND serve_area IN ({marks})) OR target_counter = ?)"
        )
        params = (day, *serves, counter_no)
        # Tickets sent to this very counter come first, then priority (unless the interleave
        # says an ordinary ticket's turn has come), then ordinary.
        pick = self._one(
            "target_counter = ? AND day = ? AND status IN ('waiting', 'transferred') "
            "ORDER BY id LIMIT 1",
            (counter_no, day),
        )
        if pick is None:
            interleave = self.settings.interleave
            prio_sql = f"{base} AND priority != '' ORDER BY id LIMIT 1"
            ordinary_sql = f"{base} AND priority = '' ORDER BY id LIMIT 1"
            if interleave and streak >= interleave:  # an ordinary ticket's turn, if one waits
                pick = self._one(ordinary_sql, params) or self._one(prio_sql, params)
            else:
                pick = self._one(prio_sql, params) or self._one(ordinary_sql, params)
        if pick is None:  # nobody waits: the current ticket stays (it is not "served" yet)
            return None
        current = self._current(counter_no, day)
        if current is not None:  # the officer moved on to the next citizen
            self._finish(db, current, counter_no, ())
        new_streak = streak + 1 if pick.priority else 0
        db.conn.execute(
            "INSERT INTO queue_counters(counter_no, day, priority_streak, seen_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(counter_no) DO UPDATE SET day = excluded.day, "
            "priority_streak = excluded.priority_streak, seen_at = excluded.seen_at",
            (counter_no, day, new_streak, iso(now)),
        )
        return self._do_call(db, pick, counter_no, "call")

    def _streak(self, db: sqlite_utils.Database, counter_no: int, day: str) -> int:
        row = db.conn.execute(
            "SELECT day, priority_streak FROM queue_counters WHERE counter_no = ?", (counter_no,)
        ).fetchone()
        return int(row[1]) if row and row[0] == day else 0

    def _do_call(
        self, db: sqlite_utils.Database, t: Ticket, counter_no: int, action: str
    ) -> Ticket:
        now = self.now()
        cur = db.conn.execute(
            "UPDATE queue_tickets SET status = 'called', counter_no = ?, target_counter = NULL, "
            "called_at = COALESCE(called_at, ?), call_count = call_count + 1, updated_at = ? "
            "WHERE id = ? AND status = ?",
            (counter_no, iso(now), iso(now), t.id, t.status),
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
            called_at=t.called_at or _as_read("called_at", now),
            call_count=t.call_count + 1,
        )
        self._event(db, called, action, counter_no, number=t.number, from_status=t.status)
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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

    def recall(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Call the counter's current ticket again (board and voice repeat it)."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                return self._do_call(db, t, counter_no, "recall")

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

    def no_show(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Nobody came to the counter's current call."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                t = self._set(db, t, status="no_show", finished_at=self.now())
                self._event(db, t, "no_show", counter_no)
                return t

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

    def hold(self, counter_no: int, *, request_id: str | None = None) -> Ticket:
        """Put the current ticket aside (citizen fetches a paper); it keeps its place."""
        with self.store.write() as db:

            def run() -> Ticket:
                t = self._require_current(counter_no)
                t = self._set(db, t, status="on_hold")
                self._event(db, t, "hold", counter_no)
                return t

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

    def finish(
        self, counter_no: int, dossiers: tuple[str, ...] = (), *, request_id: str | None = None
    ) -> Ticket:
        """Done with the current ticket, linked to the dossier code(s) received from it."""
        with self.store.write() as db:
            return self._idempotent(  # type: ignore[no-any-return]
                request_id,
                lambda: self._finish(db, self._require_current(counter_no), counter_no, dossiers),
            )

    def _finish(
        self, db: sqlite_utils.Database, t: Ticket, counter_no: int, dossiers: tuple[str, ...]
    ) -> Ticket:
        linked = tuple(dict.fromkeys((*t.dossiers, *(d.strip() for d in dossiers if d.strip()))))
        t = self._set(
            db, t, status="done", finished_at=self.now(), dossiers=json.dumps(list(linked))
        )
        self._event(db, t, "finish", counter_no, dossiers=list(linked))
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

            return self._idempotent(request_id, run)  # type: ignore[no-any-return]

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
            f"SELECT {_TICKET_COLUMNS} FROM queue_tickets WHERE {sql} ORDER BY id LIMIT ?",
            (*params, limit),
        ).fetchall()
        return [_ticket(r) for r in rows]

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
            f"SELECT {_TICKET_COLUMNS} FROM queue_tickets WHERE day = ? "
            "AND status IN ('called', 'serving') ORDER BY called_at, id",
            (day,),
        ):
            t = _ticket(row)
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
            _ticket(r)
            for r in conn.execute(
                f"SELECT {_TICKET_COLUMNS} FROM queue_tickets WHERE day = ? "
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


def _as_read(column: str, value: Any) -> Any:
    """A value written to a ticket column as reading the row back would give it."""
    if isinstance(value, datetime):
        return parse_iso(iso(value))
    if column == "dossiers" and isinstance(value, str):
        return tuple(json.loads(value))
    return value


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


def _encode(value: Any) -> Any:
    if isinstance(value, Ticket):
        return {"ticket": value.to_json()}
    if value is None:
        return {"ticket": None}
    raise TypeError(f"cannot store {type(value).__name__} as a queue response")


def _decode(value: Any) -> Any:
    t = value.get("ticket")
    return None if t is None else Ticket.from_json(t)
