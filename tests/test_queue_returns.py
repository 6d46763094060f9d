"""The engine builds each changed ticket instead of reading it back (a fifth of a call's cost
under load): a random drill of every action checks that what it returns is exactly what
reading the row back gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter.errors import CounterError
from counter.queue import QueueEngine, QueueSettings, Ticket
from counter.store import Store
from tests.support.clock import FrozenClock

ACTIONS = ("issue", "call_next", "call", "recall", "start", "no_show", "hold", "unhold",
           "transfer_area", "transfer_counter", "finish", "link")  # fmt: skip


def _act(eng: QueueEngine, action: str, counter: int, pick: int, number: str) -> Ticket | None:
    if action == "issue":
        return eng.issue("AB"[pick % 2], priority="elderly" if pick > 5 else "")
    if action == "call_next":
        return eng.call_next(counter)
    if action == "call":
        return eng.call(counter, number)
    if action == "unhold":
        return eng.unhold(number)
    if action == "transfer_area":
        return eng.transfer(counter, area="B")
    if action == "transfer_counter":
        return eng.transfer(counter, to_counter=counter % 4 + 1)
    if action == "finish":
        return eng.finish(counter, (f"HS-{pick}",))
    if action == "link":
        return eng.link_dossier(counter, f"HS-{pick + 10}")
    return getattr(eng, action)(counter)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(1, 4),
            st.integers(0, 7),
            st.integers(0, 90),
        ),
        min_size=5,
        max_size=60,
    )
)
def test_every_returned_ticket_is_what_reading_it_back_gives(
    tmp_path_factory: object, steps: list[tuple[str, int, int, int]]
) -> None:
    path = tmp_path_factory.mktemp("q") / "q.db"
    clock = FrozenClock()
    store = Store(path)
    eng = QueueEngine(
        store,
        QueueSettings(max_per_person_per_day=0, max_per_person_per_area=0,
                      issue_start=time(0, 0), issue_end=time(23, 59)),
        clock,
    )  # fmt: skip
    numbers: list[str] = []
    try:
        for action, counter, pick, seconds in steps:
            clock.now += timedelta(seconds=seconds, microseconds=123_456)  # not whole seconds
            number = numbers[pick % len(numbers)] if numbers else "A001"
            try:
                t = _act(eng, action, counter, pick, number)
            except CounterError:
                continue
            if t is None:
                continue
            if action == "issue":
                numbers.append(t.number)
            assert replace(t, people_ahead=0) == eng.ticket(t.number), action
    finally:
        store.close()
