"""The queue's settings (the `[queue]` section): areas, priority classes, limits, hall sound.

Their own home so `counter.config` and the hub read them without loading the engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from counter.errors import InvalidInput
from counter.text import nfc

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
