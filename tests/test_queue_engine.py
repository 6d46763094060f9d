"""The queue engine: numbering, priority and FIFO, interleave, states, limits, daily reset."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.errors import IllegalTransition, InvalidInput
from counter.queue import (
    QueueConfigError,
    QueueEngine,
    QueueError,
    QueueSettings,
    Ticket,
    parse_queue_config,
    person_key,
)
from counter.store import Store
from counter.timeutil import VN_TZ
from tests.support.clock import FROZEN_NOW, FrozenClock

OPEN_ALL_DAY = {"issue_start": time(0, 0), "issue_end": time(23, 59)}


def make_engine(path: Path, clock: FrozenClock, **changes: object) -> tuple[Store, QueueEngine]:
    store = Store(path)
    base = QueueSettings(max_per_person_per_day=0, max_per_person_per_area=0)
    s = replace(base, **changes)  # type: ignore[arg-type]
    return store, QueueEngine(store, s, clock)


@pytest.fixture
def eng(tmp_path: Path, clock: FrozenClock) -> Iterator[QueueEngine]:
    store, engine = make_engine(tmp_path / "q.db", clock)
    yield engine
    store.close()


def test_numbers_per_area_start_at_001(eng: QueueEngine) -> None:
    assert [eng.issue("A").number for _ in range(3)] == ["A001", "A002", "A003"]
    assert eng.issue("b").number == "B001"
    t = eng.issue("A")
    assert t.status == "waiting" and t.people_ahead == 3


def test_unknown_area_and_priority_are_refused(eng: QueueEngine) -> None:
    with pytest.raises(InvalidInput, match="lĩnh vực"):
        eng.issue("Z")
    with pytest.raises(InvalidInput, match="ưu tiên"):
        eng.issue("A", priority="vip")


def test_issuing_hours(eng: QueueEngine, clock: FrozenClock) -> None:
    clock.now = FROZEN_NOW.replace(hour=16, minute=0)
    with pytest.raises(QueueError, match="Ngoài giờ cấp số"):
        eng.issue("A")
    clock.now = FROZEN_NOW.replace(hour=7, minute=59)
    with pytest.raises(QueueError):
        eng.issue("A")


def test_range_runs_out(tmp_path: Path, clock: FrozenClock) -> None:
    s = parse_queue_config({"area": [{"prefix": "A", "name": "Hộ tịch", "first": 1, "last": 2}]})
    store = Store(tmp_path / "q.db")
    e = QueueEngine(store, s, clock)
    e.issue("A")
    e.issue("A")
    with pytest.raises(QueueError, match="hết số"):
        e.issue("A")
    store.close()


def test_priority_first_then_fifo(eng: QueueEngine) -> None:
    eng.issue("A")
    eng.issue("B")
    eng.issue("A", priority="elderly")
    eng.issue("A", priority="pregnant")
    order = [eng.call_next(1) for _ in range(4)]
    assert [t.number for t in order if t] == ["A002", "A003", "A001", "B001"]
    assert eng.call_next(1) is None


def test_interleave_lets_ordinary_tickets_through(tmp_path: Path, clock: FrozenClock) -> None:
    store, e = make_engine(tmp_path / "q.db", clock, interleave=2)
    for _ in range(2):
        e.issue("A")
    for _ in range(5):
        e.issue("A", priority="elderly")
    called = []
    while (t := e.call_next(1)) is not None:
        called.append(("P" if t.priority else "O") + t.number[1:])
    assert called == ["P003", "P004", "O001", "P005", "P006", "O002", "P007"]
    store.close()


def test_counter_serves_only_its_areas(eng: QueueEngine) -> None:
    eng.issue("A")
    b = eng.issue("B")
    t = eng.call_next(2, ("B",))
    assert t is not None and t.number == b.number
    assert eng.call_next(2, ("B",)) is None


def test_a_counter_of_every_area_also_calls_an_area_since_removed(
    tmp_path: Path, clock: FrozenClock
) -> None:
    """A counter serving every area (the default) reads the queue without an area filter: a
    ticket of an area taken out of the config while it waited (the hub restarted with the new
    file) is still called in its turn by such a counter, not left waiting until the day-end
    close; a counter given its own areas still calls only those."""
    store, before = make_engine(tmp_path / "q.db", clock)
    issued = [before.issue(a).number for a in ("A", "E", "A", "E")]
    assert issued == ["A001", "E001", "A002", "E002"]
    areas = tuple(a for a in QueueSettings().areas_def if a.prefix != "E")
    after = QueueEngine(store, replace(before.settings, areas_def=areas), clock)
    mine = after.call_next(1, ("A",))
    assert mine is not None and mine.number == "A001"
    called = [after.call_next(2) for _ in range(3)]
    assert [t.number for t in called if t] == ["E001", "A002", "E002"]
    assert after.call_next(2) is None
    store.close()


def test_recall_no_show_hold_unhold_finish(eng: QueueEngine, clock: FrozenClock) -> None:
    a1, a2 = eng.issue("A"), eng.issue("A")
    t = eng.call_next(3)
    assert t is not None and t.number == a1.number and t.counter_no == 3
    assert eng.recall(3).call_count == 2
    assert eng.no_show(3).status == "no_show"
    with pytest.raises(IllegalTransition):
        eng.recall(3)
    t2 = eng.call_next(3)
    assert t2 is not None and t2.number == a2.number
    held = eng.hold(3)
    assert held.status == "on_hold"
    assert eng.view().on_hold[0].number == a2.number
    back = eng.unhold(a2.number)
    assert back.status == "waiting" and back.target_counter is None  # any counter may call it
    again = eng.call_next(3)
    assert again is not None and again.number == a2.number
    clock.now += timedelta(minutes=1)
    eng.link_dossier(3, "000.00.12.H26-261126-0001")
    clock.now += timedelta(minutes=4)
    done = eng.finish(3, ("000.00.12.H26-261126-0002",))
    assert done.status == "done"
    assert done.dossiers == ("000.00.12.H26-261126-0001", "000.00.12.H26-261126-0002")
    assert (
        done.started_at
        and done.finished_at
        and done.finished_at - done.started_at == timedelta(minutes=4)
    )
    # a late citizen: the no-show ticket is called back by number
    late = eng.call(3, a1.number.lower())
    assert late.status == "called" and late.number == a1.number


def test_transfer_to_area_and_counter_keeps_place(eng: QueueEngine) -> None:
    a1 = eng.issue("A")
    eng.issue("B")
    eng.call_next(1, ("A",))
    moved = eng.transfer(1, area="B")
    assert moved.status == "transferred" and moved.serve_area == "B" and moved.number == a1.number
    # issued before B001, so counter 2 (area B) calls it first
    t = eng.call_next(2, ("B",))
    assert t is not None and t.number == a1.number
    sent = eng.transfer(2, to_counter=5)
    assert sent.target_counter == 5
    assert eng.call_next(4) is not None  # B001, not the one sent to counter 5
    t5 = eng.call_next(5, ("C",))
    assert t5 is not None and t5.number == a1.number
    with pytest.raises(InvalidInput):
        eng.transfer(5)


def test_call_next_finishes_the_previous_ticket(eng: QueueEngine) -> None:
    eng.issue("A")
    eng.issue("A")
    first = eng.call_next(1)
    eng.call_next(1)
    assert first is not None
    assert eng.ticket(first.number).status == "done"


def test_request_id_makes_calls_idempotent(eng: QueueEngine) -> None:
    eng.issue("A")
    eng.issue("A")
    one = eng.call_next(1, request_id="r-1")
    again = eng.call_next(1, request_id="r-1")
    assert one is not None and again is not None and one.number == again.number
    assert eng.ticket("A002").status == "waiting"


def test_per_person_limits(tmp_path: Path, clock: FrozenClock) -> None:
    store, e = make_engine(
        tmp_path / "q.db", clock, max_per_person_per_day=2, max_per_person_per_area=1
    )
    e.issue("A", person="0912 345 678")
    with pytest.raises(QueueError, match="lĩnh vực"):
        e.issue("A", person="+84912345678")
    e.issue("B", person="0912345678")
    with pytest.raises(QueueError, match="2 số mỗi ngày"):
        e.issue("C", person="0912345678")
    e.issue("C", person="001090012345")  # another person
    assert person_key("0912 345 678", b"k") == person_key("+84 912 345 678", b"k") != ""
    rows = store.conn.execute("SELECT person_key FROM queue_tickets").fetchall()
    assert all("0912" not in r[0] for r in rows)  # no phone number kept
    # Keyed (issue 19): the stored key is not the unkeyed hash anyone can recompute, nor
    # the key another installation would make.
    import hashlib

    unkeyed = hashlib.sha256(b"counter-queue:0912345678").hexdigest()[:20]
    assert all(not r[0].startswith(unkeyed) for r in rows)
    assert person_key("0912345678", b"k") != person_key("0912345678", b"other")


def test_unkeyed_person_keys_of_an_older_version_are_forgotten(
    tmp_path: Path, clock: FrozenClock
) -> None:
    import hashlib

    store, e = make_engine(tmp_path / "q.db", clock)
    e.issue("A")
    old = hashlib.sha256(b"counter-queue:0912345678").hexdigest()[:20]
    store.conn.execute("UPDATE queue_tickets SET person_key = ?", (old,))
    store.conn.execute("DELETE FROM vault.secrets")  # as before the keyed hashes
    e.issue("B", person="0912345678")
    keys = [r[0] for r in store.conn.execute("SELECT person_key FROM queue_tickets ORDER BY id")]
    assert keys[0] == "" and keys[1] not in ("", old)
    store.close()
    store.close()


def test_daily_reset_across_midnight(eng: QueueEngine, clock: FrozenClock) -> None:
    clock.now = FROZEN_NOW.replace(hour=15, minute=59)
    eng.issue("A")
    eng.issue("A")
    clock.now = FROZEN_NOW.replace(hour=8, minute=0) + timedelta(days=1)
    t = eng.issue("A")
    assert t.number == "A001" and t.day == "2026-11-27"
    called = eng.call_next(1)
    assert called is not None and called.id == t.id  # yesterday's tickets are not called
    assert eng.call_next(1) is None
    assert eng.view().waiting["A"] == 0


def test_stats(eng: QueueEngine, clock: FrozenClock) -> None:
    for _ in range(3):
        eng.issue("A")
    eng.issue("B")
    clock.now += timedelta(minutes=10)
    eng.call_next(1, ("A",))
    clock.now += timedelta(minutes=5)
    eng.finish(1)
    eng.call_next(1, ("A",))
    eng.no_show(1)
    s = eng.stats()
    a = next(f for f in s.areas if f.key == "A")
    assert a.issued == 3 and a.waiting == 1 and a.served == 1 and a.no_show == 1
    assert a.avg_service == 300
    assert a.avg_wait == pytest.approx((600 + 900) / 2)
    assert a.no_show_rate == 0.5
    assert s.counters[0].key == "1" and s.total.waiting == 2
    assert s.to_json()["areas"][0]["no_show_rate"] == 0.5


def test_board_view(eng: QueueEngine) -> None:
    eng.issue("A")
    eng.issue("C", priority="disability")
    eng.call_next(3)
    eng.recall(3)
    v = eng.view()
    assert v.current[3].number == "C001"
    assert [c.recall for c in v.calls] == [True, False]
    assert v.waiting["A"] == 1 and v.waiting_priority["C"] == 0
    assert v.version > 0
    assert type(v).from_json(v.to_json()) == v


def test_ticket_json_round_trip(eng: QueueEngine) -> None:
    t = eng.issue("A", priority="elderly")
    assert Ticket.from_json(t.to_json()) == t


def test_parse_queue_config_reports_every_problem() -> None:
    problems: list[str] = []
    s = parse_queue_config(
        {
            "hub_url": "ftp://x",
            "interleave": -1,
            "areas": ["Q"],
            "area": [{"prefix": "a1", "name": "", "first": 5, "last": 1}],
            "priority": [{"code": "Bad Code", "name": "x"}],
            "colour": "red",
        },
        problems,
    )
    text = "\n".join(problems)
    for needle in (
        "[queue] colour: unknown key",
        "[queue] hub_url: expected an http(s) address",
        "[queue] interleave: expected 0–50",
        "[[queue.area]] #1 prefix",
        "[[queue.area]] #1 name",
        "[[queue.area]] #1 first/last",
        "[[queue.priority]] #1 code",
        "[queue] areas: 'Q' is not a defined area",
    ):
        assert needle in text
    assert s.areas_def[0].prefix == "A"  # defaults kept for a bad table
    with pytest.raises(QueueConfigError):
        parse_queue_config({"issue_start": "9h"})


def test_parse_queue_config_full() -> None:
    s = parse_queue_config(
        {
            "hub_url": "http://10.0.0.5:8710/",
            "areas": ["A", "C"],
            "issue_start": "07:30",
            "interleave": 4,
            "area": [
                {"prefix": "A", "name": "Hộ tịch", "last": 500},
                {"prefix": "C", "name": "Đất đai", "first": 100, "last": 1999},
            ],
            "priority": [{"code": "elderly", "name": "Người cao tuổi"}],
            "counter": {"1": ["A"], "2": ["C"]},
        }
    )
    assert s.hub_url == "http://10.0.0.5:8710"
    assert s.serves == ("A", "C") and s.areas == ("A", "C")
    assert s.issue_start == time(7, 30) and s.interleave == 4
    assert s.area("C").number(100) == "C0100"
    assert s.served_by(2) == ("C",) and s.served_by(9) == ("A", "C")


# -- properties ------------------------------------------------------------------------------

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.sampled_from("ABC"), st.sampled_from(["", "", "elderly"])),
        st.tuples(st.just("next"), st.integers(1, 3), st.sampled_from(["", "A", "BC"])),
        st.tuples(st.just("no_show"), st.integers(1, 3), st.just("")),
        st.tuples(st.just("hold"), st.integers(1, 3), st.just("")),
        st.tuples(st.just("transfer"), st.integers(1, 3), st.sampled_from("ABC")),
        st.tuples(st.just("finish"), st.integers(1, 3), st.just("")),
        st.tuples(st.just("unhold"), st.integers(0, 5), st.just("")),
        st.tuples(st.just("tick"), st.integers(1, 600), st.just("")),
    ),
    max_size=60,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS, interleave=st.integers(0, 3))
def test_property_call_next_order_and_no_double_service(
    tmp_path_factory: pytest.TempPathFactory, ops: list[tuple[str, object, str]], interleave: int
) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 8, 0, tzinfo=VN_TZ))
    store, e = make_engine(tmp_path_factory.mktemp("prop") / "q.db", clock, interleave=interleave)
    streak: dict[int, int] = {}
    finished_ids: list[int] = []
    for op, arg, extra in ops:
        try:
            if op == "issue":
                e.issue(str(arg), priority=extra)
            elif op == "next":
                counter = int(str(arg))
                serves = tuple(extra) or ("A", "B", "C", "D", "E")
                queued = [
                    t
                    for t in e.waiting()
                    if (t.target_counter is None and t.serve_area in serves)
                    or t.target_counter == counter
                ]
                before = e.current(counter)
                got = e.call_next(counter, tuple(extra))
                if not queued:
                    assert got is None
                    # nobody waits: the current ticket stays, not finished (nor "served")
                    assert e.current(counter) == before
                    continue
                assert got is not None
                if before is not None:  # the officer moved on: the previous one is finished
                    finished_ids.append(before.id)
                    assert e.ticket(before.number).status == "done"
                direct = [t for t in queued if t.target_counter == counter]
                prio = [t for t in queued if t.priority and t.target_counter != counter]
                ordinary = [t for t in queued if not t.priority]
                if direct:
                    expected = direct[0]
                elif prio and ordinary and interleave and streak.get(counter, 0) >= interleave:
                    expected = ordinary[0]
                else:
                    expected = (prio or ordinary)[0]
                assert got.id == expected.id  # priority, interleave, then first come first served
                streak[counter] = streak.get(counter, 0) + 1 if got.priority else 0
            elif op == "no_show":
                e.no_show(int(str(arg)))
            elif op == "hold":
                e.hold(int(str(arg)))
            elif op == "transfer":
                e.transfer(1 + int(str(arg)) % 3, area=extra)
            elif op == "finish":
                c = e.current(int(str(arg)))
                e.finish(int(str(arg)))
                if c is not None:
                    finished_ids.append(c.id)
            elif op == "unhold":
                held = e.view().on_hold
                if held:
                    e.unhold(held[int(str(arg)) % len(held)].number)
            elif op == "tick":
                clock.now += timedelta(seconds=int(str(arg)))
        except (IllegalTransition, InvalidInput):
            pass
        # no ticket is the current one of two counters; no ticket is finished twice
        currents = [
            r[0]
            for r in store.conn.execute(
                "SELECT id FROM queue_tickets WHERE status IN ('called', 'serving')"
            )
        ]
        assert len(currents) == len(set(currents))
        per_counter = store.conn.execute(
            "SELECT counter_no, COUNT(*) FROM queue_tickets WHERE status IN ('called', 'serving') "
            "GROUP BY counter_no HAVING COUNT(*) > 1"
        ).fetchall()
        assert per_counter == []
        assert len(finished_ids) == len(set(finished_ids))
    finishes = store.conn.execute(
        "SELECT ticket_id, COUNT(*) FROM queue_events WHERE action = 'finish' GROUP BY ticket_id "
        "HAVING COUNT(*) > 1"
    ).fetchall()
    assert finishes == []
    store.close()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps=st.lists(st.tuples(st.integers(0, 3 * 3600), st.sampled_from("AB")), max_size=40))
def test_property_numbers_are_consecutive_per_day_and_area(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[int, str]]
) -> None:
    clock = FrozenClock(datetime(2026, 11, 26, 23, 0, tzinfo=VN_TZ))
    store, e = make_engine(tmp_path_factory.mktemp("reset") / "q.db", clock, **OPEN_ALL_DAY)
    seen: dict[tuple[str, str], list[int]] = {}
    for seconds, area in steps:
        clock.now += timedelta(seconds=seconds)
        try:
            t = e.issue(area)
        except QueueError:
            continue  # 23:59–00:00, outside the issuing window
        seen.setdefault((t.day, area), []).append(int(t.number[1:]))
        assert t.day == clock.now.date().isoformat()
    for numbers in seen.values():
        assert numbers == list(range(1, len(numbers) + 1))
    store.close()
