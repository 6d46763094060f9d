"""The queue's records travel as JSON (hub ↔ counter, stored request answers) through one
(de)serialiser: every record round-trips, the wire form stays what the hub always sent."""

from __future__ import annotations

import dataclasses
import inspect
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter.queue import Call, Figures, QueueStats, QueueView, Ticket, models
from counter.timeutil import VN_TZ

MOMENTS = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(VN_TZ)
).map(lambda m: m.replace(microsecond=0))
WORDS = st.text(min_size=0, max_size=12)
COUNTERS = st.integers(min_value=1, max_value=99)

TICKETS = st.builds(
    Ticket,
    id=st.integers(min_value=1, max_value=10**9),
    day=WORDS,
    number=WORDS,
    area=WORDS,
    serve_area=WORDS,
    priority=WORDS,
    channel=WORDS,
    status=st.sampled_from(models.STATUSES),
    counter_no=st.none() | COUNTERS,
    target_counter=st.none() | COUNTERS,
    issued_at=MOMENTS,
    called_at=st.none() | MOMENTS,
    started_at=st.none() | MOMENTS,
    finished_at=st.none() | MOMENTS,
    call_count=st.integers(min_value=0, max_value=50),
    dossiers=st.lists(WORDS, max_size=3).map(tuple),
    people_ahead=st.integers(min_value=0, max_value=500),
)
CALLS = st.builds(
    Call,
    id=st.integers(min_value=1, max_value=10**9),
    counter_no=COUNTERS,
    number=WORDS,
    area=WORDS,
    at=MOMENTS,
    recall=st.booleans(),
)
SECONDS = st.none() | st.floats(min_value=0, max_value=10**6, allow_nan=False)
FIGURES = st.builds(
    Figures,
    key=WORDS,
    issued=st.integers(0, 999),
    waiting=st.integers(0, 999),
    served=st.integers(0, 999),
    no_show=st.integers(0, 999),
    avg_wait=SECONDS,
    avg_service=SECONDS,
)
VIEWS = st.builds(
    QueueView,
    day=WORDS,
    version=st.integers(0, 10**9),
    waiting=st.dictionaries(WORDS, st.integers(0, 999), max_size=4),
    waiting_priority=st.dictionaries(WORDS, st.integers(0, 999), max_size=4),
    current=st.dictionaries(COUNTERS, TICKETS, max_size=3),
    calls=st.lists(CALLS, max_size=4).map(tuple),
    on_hold=st.lists(TICKETS, max_size=3).map(tuple),
    area_names=st.dictionaries(WORDS, WORDS, max_size=4),
)
STATS = st.builds(
    QueueStats,
    day=WORDS,
    total=FIGURES,
    areas=st.lists(FIGURES, max_size=3).map(tuple),
    counters=st.lists(FIGURES, max_size=3).map(tuple),
)
RECORDS: dict[type, st.SearchStrategy[Any]] = {
    Ticket: TICKETS,
    Call: CALLS,
    Figures: FIGURES,
    QueueView: VIEWS,
    QueueStats: STATS,
}


def test_every_record_of_the_queue_has_a_round_trip_below() -> None:
    """A record added to counter/queue/models.py is covered here or this fails."""
    records = {
        cls
        for _, cls in inspect.getmembers(models, inspect.isclass)
        if dataclasses.is_dataclass(cls)
        and cls.__module__ == models.__name__
        and not cls.__name__.startswith("_")
    }
    assert records == set(RECORDS)


@given(st.one_of(*RECORDS.values()))
def test_every_record_round_trips_through_json_text(record: Any) -> None:
    wire = json.loads(json.dumps(models.to_json(record), ensure_ascii=False))
    assert models.from_json(type(record), wire) == record


def test_the_wire_form_is_what_the_hub_always_sent() -> None:
    """Pinned: counters of an older release read these keys and shapes."""
    at = datetime(2026, 11, 26, 9, 5, 7, tzinfo=VN_TZ)
    ticket = Ticket(7, "2026-11-26", "A007", "A", "A", "", "kiosk", "called", 3, None, at,
                    called_at=at + timedelta(minutes=4), dossiers=("000.00.12.H26-261126-0001",))  # fmt: skip
    assert ticket.to_json() == {
        "id": 7,
        "day": "2026-11-26",
        "number": "A007",
        "area": "A",
        "serve_area": "A",
        "priority": "",
        "channel": "kiosk",
        "status": "called",
        "counter_no": 3,
        "target_counter": None,
        "issued_at": "2026-11-26T09:05:07+07:00",
        "called_at": "2026-11-26T09:09:07+07:00",
        "started_at": None,
        "finished_at": None,
        "call_count": 0,
        "dossiers": ["000.00.12.H26-261126-0001"],
        "people_ahead": 0,
    }
    view = QueueView("2026-11-26", 9, {"A": 1}, {"A": 0}, {3: ticket},
                     (Call(9, 3, "A007", "A", at, False),), (), {"A": "Hộ tịch"})  # fmt: skip
    wire = view.to_json()
    assert list(wire["current"]) == ["3"]
    assert wire["calls"] == [
        {"id": 9, "counter_no": 3, "number": "A007", "area": "A",
         "at": "2026-11-26T09:05:07+07:00", "recall": False}
    ]  # fmt: skip
    stats = QueueStats("2026-11-26", Figures("", served=3, no_show=1), (), ())
    assert stats.to_json()["total"]["no_show_rate"] == 0.25
    assert QueueStats.from_json(stats.to_json()) == stats


def test_an_unknown_key_is_refused_by_name_not_dropped() -> None:
    wire = Ticket.from_json(
        {"id": 1, "day": "d", "number": "A001", "area": "A", "serve_area": "A", "priority": "",
         "channel": "kiosk", "status": "waiting", "counter_no": None, "target_counter": None,
         "issued_at": "2026-11-26T09:05:07+07:00"}
    ).to_json()  # fmt: skip
    wire["colour"] = "red"
    with pytest.raises(TypeError, match="'colour'"):
        Ticket.from_json(wire)
