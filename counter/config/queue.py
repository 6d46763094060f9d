"""The queue's settings (config.toml's `[queue]`, or the hub's): areas, priority, limits, hall.

Here, with the other sections, and not in the queue package: the config and the hub read
them without loading the engine, and the engine depends on its settings, not the reverse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any

from counter.errors import InvalidInput
from counter.text import nfc
from counter.toml_reader import TableReader

HALL_SOUNDS = ("voice", "browser", "chime", "off")
HALL_VOICES = ("vi", "vi-vn-x-central", "vi-vn-x-south")  # espeak-ng: northern, central, southern


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

    @cached_property
    def prefixes(self) -> tuple[str, ...]:
        """Every area's prefix, in the configured order (read on every call-next)."""
        return tuple(a.prefix for a in self.areas_def)

    def served_by(self, counter_no: int, requested: tuple[str, ...] = ()) -> tuple[str, ...]:
        """The areas a counter calls from: what it asked for, else the hub's map, else all."""
        known = self.prefixes
        chosen = requested or self.counter_areas.get(counter_no, ())
        return tuple(p for p in chosen if p in known) or known


class QueueConfigError(ValueError):
    """The `[queue]` table cannot be used; `problems` lists every wrong key, after the file's
    name when there is a file."""

    def __init__(self, problems: list[str], source: Path | None = None):
        self.problems = problems
        self.source = source
        lines = "\n".join(problems) if source is None else "\n".join(f"  - {p}" for p in problems)
        super().__init__(lines if source is None else f"{source}:\n{lines}")


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


def parse_queue_config(
    raw: dict[str, Any], problems: list[str] | None = None, *, source: Path | None = None
) -> QueueSettings:
    """Build QueueSettings from the parsed `[queue]` table.

    With `problems` given, each mistake is appended to it in config.toml's style and a default
    is used; without, a `QueueConfigError` lists them all (after `source`, the file's name).
    The TOML shape::

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
    top = TableReader({"queue": raw}, "", out)
    settings = read_queue_settings(top.section("queue"))
    if problems is None and len(out) > start_len:
        raise QueueConfigError(out, source)
    return settings


def read_queue_settings(t: TableReader) -> QueueSettings:
    """QueueSettings from the `[queue]` table's reader; each mistake is a problem on it and
    the default is used."""
    d = QueueSettings()
    t.unknown_keys(_QUEUE_KEYS)
    hub = t.text("hub_url", d.hub_url).strip().rstrip("/")
    if hub and not re.match(r"^https?://[^\s/]+", hub):
        t.fail("hub_url", f"expected an http(s) address or empty, got {hub!r}")
        hub = ""
    token = t.text("hub_token", d.hub_token).strip()
    if token and (len(token) < 16 or not token.isprintable() or not token.isascii()):
        t.fail(
            "hub_token",
            "expected at least 16 printable ASCII characters "
            "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe())'`), or empty",
        )
        token = ""
    issue_start = t.time_of_day("issue_start", d.issue_start)
    issue_end = t.time_of_day("issue_end", d.issue_end)
    if issue_start >= issue_end:
        t.fail_table("expected issue_start before issue_end")
    interleave = t.within("interleave", d.interleave, 0, 50, "0–50 (0 = priority always first)")
    per_day = t.integer("max_per_person_per_day", d.max_per_person_per_day)
    per_area = t.integer("max_per_person_per_area", d.max_per_person_per_area)
    for key, value in (("max_per_person_per_day", per_day), ("max_per_person_per_area", per_area)):
        if not 0 <= value <= 99:
            t.fail(key, f"expected 0–99 (0 = no limit), got {value}")
    timeout = t.number("timeout_seconds", d.timeout_seconds)
    if not 0 < timeout <= 30:
        t.fail("timeout_seconds", f"expected 0–30 seconds, got {timeout}")
        timeout = d.timeout_seconds
    board_calls = t.within("board_calls", d.board_calls, 1, 30, "1–30")
    hall_sound = t.choice("hall_sound", HALL_SOUNDS, d.hall_sound)
    hall_voice = t.choice("hall_voice", HALL_VOICES, d.hall_voice)
    recordings = t.text("hall_recordings", d.hall_recordings, "a folder path").strip()

    areas = d.areas_def
    if t.has("area"):
        areas = _read_areas(t) or d.areas_def
    prefixes = {a.prefix for a in areas}
    priorities = d.priority_classes
    if t.has("priority"):
        priorities = _read_priorities(t)

    serves_raw = t.raw("areas", [])
    serves: tuple[str, ...] = ()
    if not isinstance(serves_raw, list) or not all(isinstance(a, str) for a in serves_raw):
        t.fail("areas", f"expected a list of area prefixes, got {serves_raw!r}")
    else:
        serves = tuple(a.strip().upper() for a in serves_raw)
        for p in serves:
            if p not in prefixes:
                t.fail(
                    "areas", f"{p!r} is not a defined area (defined: {', '.join(sorted(prefixes))})"
                )
    return QueueSettings(
        hub_url=hub,
        hub_token=token,
        serves=serves,
        areas_def=areas,
        priority_classes=priorities,
        interleave=interleave,
        issue_start=issue_start,
        issue_end=issue_end,
        max_per_person_per_day=per_day,
        max_per_person_per_area=per_area,
        timeout_seconds=timeout,
        board_calls=board_calls,
        counter_areas=_read_counter_areas(t, prefixes),
        hall_sound=hall_sound,
        hall_voice=hall_voice,
        hall_recordings=recordings,
    )


def _read_counter_areas(t: TableReader, prefixes: set[str]) -> dict[int, tuple[str, ...]]:
    """`[queue.counter]` (the hub's map): counter number → the area prefixes it serves."""
    counters = t.raw("counter", {})
    if not isinstance(counters, dict):
        t.problems.append(
            f"[queue.counter]: expected a table of counter number = [prefixes], got {counters!r}"
        )
        return {}
    c = TableReader(counters, "[queue.counter]", t.problems)
    out: dict[int, tuple[str, ...]] = {}
    for key, value in counters.items():
        if not (str(key).isdigit() and 1 <= int(key) <= 99):
            c.fail(key, "expected a counter number 1–99")
            continue
        if not isinstance(value, list) or not all(
            isinstance(v, str) and v in prefixes for v in value
        ):
            c.fail(key, f"expected a list of defined area prefixes, got {value!r}")
            continue
        out[int(key)] = tuple(value)
    return out


def _read_areas(t: TableReader) -> tuple[Area, ...]:
    value = t.raw("area")
    if not isinstance(value, list) or not value:
        t.problems.append("[queue.area]: expected one or more [[queue.area]] tables")
        return ()
    areas: list[Area] = []
    for i, table in enumerate(value, 1):
        where = f"[[queue.area]] #{i}"
        if not isinstance(table, dict):
            t.problems.append(f"{where}: expected a table with prefix, name, first, last")
            continue
        a = TableReader(table, where, t.problems)
        a.unknown_keys(("prefix", "name", "first", "last"))
        prefix, name = a.raw("prefix"), a.raw("name")
        first, last = a.raw("first", 1), a.raw("last", 999)
        ok = True
        if not isinstance(prefix, str) or not re.fullmatch(r"[A-Z]{1,2}", prefix):
            a.fail("prefix", f"expected one or two capital letters, got {prefix!r}")
            ok = False
        if not isinstance(name, str) or not nfc(name):
            a.fail("name", f"expected the area's name, got {name!r}")
            ok = False
        if not (_is_int(first) and _is_int(last) and 1 <= first <= last <= 9999):
            a.fail("first/last", f"expected 1 <= first <= last <= 9999, got {first!r}…{last!r}")
            ok = False
        if ok:
            areas.append(Area(str(prefix), nfc(str(name)), int(first), int(last)))
    if len({a.prefix for a in areas}) != len(areas):
        t.problems.append("[queue.area]: each area needs a distinct prefix")
    return tuple(areas)


def _read_priorities(t: TableReader) -> tuple[PriorityClass, ...]:
    value = t.raw("priority")
    if not isinstance(value, list):
        t.problems.append("[queue.priority]: expected [[queue.priority]] tables with code and name")
        return ()
    classes: list[PriorityClass] = []
    for i, table in enumerate(value, 1):
        where = f"[[queue.priority]] #{i}"
        if not isinstance(table, dict):
            t.problems.append(f"{where}: expected a table with code and name")
            continue
        p = TableReader(table, where, t.problems)
        p.unknown_keys(("code", "name"))
        code, name = p.raw("code"), p.raw("name")
        if not isinstance(code, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", code):
            p.fail("code", f"expected a short lower-case code, got {code!r}")
            continue
        if not isinstance(name, str) or not nfc(name):
            p.fail("name", f"expected the class's name, got {name!r}")
            continue
        classes.append(PriorityClass(code, nfc(name)))
    if len({c.code for c in classes}) != len(classes):
        t.problems.append("[queue.priority]: each priority class needs a distinct code")
    return tuple(classes)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
