"""The queue's records (ticket, call, board view, figures) and their one JSON form.

The hub sends these over HTTP and the engine stores a request's answer as JSON: one generic
(de)serialiser, driven by the dataclass fields, so a new field travels without new code.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, TypeVar, Union

from counter.errors import CounterError
from counter.i18n import pick
from counter.timeutil import iso, parse_iso

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
QUEUED = ("waiting", "transferred")  # states "call next" picks from
OPEN = ("called", "serving")  # a counter's current ticket
LEFT_OVER = ("waiting", "transferred", "on_hold", "called")  # closed as not served at day end
CHANNELS = ("kiosk", "counter", "app", "phone")
ENGINE_VERSION = 1


class QueueError(CounterError):
    """A queue action that cannot be done now (outside issuing hours, limit reached, …)."""


# JSON text with Vietnamese as it is, from one encoder made once: `json.dumps(…,
# ensure_ascii=False)` builds a new encoder on every call (a few µs each, three per call-next).
json_text = json.JSONEncoder(ensure_ascii=False).encode

_Record = TypeVar("_Record")
_Convert = Callable[[Any], Any]


def to_json(record: object) -> dict[str, Any]:
    """A record as JSON: datetimes in ISO 8601 (+07:00), tuples as lists, nested records and
    mappings converted, mapping keys as strings (JSON's only key type), and the computed
    properties the class lists in `JSON_DERIVED` sent along."""
    shape = _shape(type(record))
    out = {
        name: value if dump is None else dump(value)
        for name, dump in shape.dumps
        for value in (getattr(record, name),)
    }
    for name in shape.derived:
        out[name] = getattr(record, name)
    return out


def from_json(cls: type[_Record], data: dict[str, Any]) -> _Record:
    """The record `to_json` made: each field converted back by its declared type; a missing
    field takes its default; computed properties are skipped; any other key is an error
    (a `TypeError`, as the constructor called with it would raise)."""
    shape = _shape(cls)
    loads = shape.loads
    values: dict[str, Any] = {}
    for key, value in data.items():
        load = loads.get(key, _unknown)
        if load is None:
            values[key] = value
        elif load is not _unknown:
            values[key] = load(value)
        elif key not in shape.derived:
            raise TypeError(f"{cls.__name__}: unexpected key {key!r}")
    return cls(**values)


def _unknown(value: Any) -> Any:
    """The marker of a key that is not a field (never called)."""
    raise AssertionError(value)


@dataclass(frozen=True)
class _Shape:
    """A record class's fields with their converters (None: the value is JSON as it is)."""

    dumps: tuple[tuple[str, _Convert | None], ...]
    loads: dict[str, _Convert | None]
    derived: tuple[str, ...]


_SHAPES: dict[type, _Shape] = {}


def _shape(cls: type) -> _Shape:
    """Worked out once per class from its declared field types: the hub encodes a view on
    every board poll, so no type is inspected per value."""
    known = _SHAPES.get(cls)
    if known is not None:
        return known
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls.__name__} is not a record (dataclass)")
    hints = typing.get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    shape = _Shape(
        dumps=tuple((n, _dumper(hints[n])) for n in names),
        loads={n: _loader(hints[n]) for n in names},
        derived=getattr(cls, "JSON_DERIVED", ()),
    )
    _SHAPES[cls] = shape
    return shape


def _optional(hint: Any) -> Any | None:
    """`X` of `X | None`, else None."""
    if typing.get_origin(hint) in (Union, types.UnionType):
        (inner,) = (a for a in typing.get_args(hint) if a is not type(None))
        return inner
    return None


def _dumper(hint: Any) -> _Convert | None:
    inner = _optional(hint)
    if inner is not None:
        dump = _dumper(inner)
        return None if dump is None else (lambda v: None if v is None else dump(v))
    origin = typing.get_origin(hint)
    if hint is datetime:
        return iso
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return to_json
    if origin is tuple:
        item = _dumper(typing.get_args(hint)[0])
        return list if item is None else (lambda v: [item(x) for x in v])
    if origin is dict:
        value = _dumper(typing.get_args(hint)[1])
        if value is None:
            return lambda v: {str(k): x for k, x in v.items()}
        return lambda v: {str(k): value(x) for k, x in v.items()}
    return None


def _loader(hint: Any) -> _Convert | None:
    inner = _optional(hint)
    if inner is not None:
        load = _loader(inner)
        if load is None or inner is datetime:  # the datetime loader reads None (and "") as None
            return load
        return lambda v: None if v is None else load(v)
    origin = typing.get_origin(hint)
    if hint is datetime:
        return lambda v: parse_iso(v) if v else None
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        record: type = hint
        return lambda v: from_json(record, v)
    if origin is tuple:
        item = _loader(typing.get_args(hint)[0])
        return tuple if item is None else (lambda v: tuple(item(x) for x in v))
    if origin is dict:
        key_type, value_type = typing.get_args(hint)
        value = _loader(value_type)
        return lambda v: {key_type(k): x if value is None else value(x) for k, x in v.items()}
    return None


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
        return pick(STATUS_LABELS[self.status], lang)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Ticket:
        return from_json(cls, data)

    @cached_property
    def answer_json(self) -> str:
        """`{"ticket": …}` as JSON text: the hub's answer to an action on this ticket and what
        its request id stores for a retry, made once for both (a changed ticket is a new
        object, so it is never stale)."""
        return json_text({"ticket": self.to_json()})


NO_TICKET_ANSWER = '{"ticket": null}'  # the answer when nobody waits (call-next)


def ticket_answer(ticket: Ticket | None) -> str:
    """The JSON answer to a queue action: the ticket, or null."""
    return NO_TICKET_ANSWER if ticket is None else ticket.answer_json


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
        return to_json(self)

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
    def from_json(cls, data: dict[str, Any]) -> Call:
        return from_json(cls, data)


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
        return to_json(self)

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
    def from_json(cls, data: dict[str, Any]) -> QueueView:
        return from_json(cls, data)


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

    JSON_DERIVED: ClassVar[tuple[str, ...]] = ("no_show_rate",)

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
        return to_json(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> QueueStats:
        return from_json(cls, data)
