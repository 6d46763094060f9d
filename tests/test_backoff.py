"""The one backoff formula (`counter.backoff`), as sync and the print spool use it."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter import spool
from counter.backoff import Backoff
from counter.sync import backoff_delay

backoffs = st.builds(
    Backoff,
    base=st.floats(0.01, 60),
    cap=st.floats(60, 3600),
    floor=st.floats(0.01, 1),
)


@given(backoffs, st.integers(1, 200), st.integers(0, 2**32))
def test_a_delay_is_jittered_within_its_bounds_and_capped(
    backoff: Backoff, failures: int, seed: int
) -> None:
    ceiling = backoff.ceiling(failures)
    delay = backoff.delay(failures, random.Random(seed))
    assert backoff.floor * ceiling <= delay <= ceiling <= backoff.cap


@given(backoffs, st.integers(0, 200))
def test_the_ceiling_grows_monotonically_to_the_cap(backoff: Backoff, failures: int) -> None:
    assert backoff.ceiling(failures) <= backoff.ceiling(failures + 1)
    assert backoff.ceiling(failures + 64) == backoff.cap  # reached, not overflowed


def test_no_wait_before_any_failure() -> None:
    backoff = Backoff(base=2, cap=300, floor=0.1)
    assert backoff.ceiling(0) == backoff.delay(0) == 0.0
    assert backoff.delay(-3) == 0.0


def test_jitter_spreads_the_delays() -> None:
    """Many counters failing at once must not come back in lockstep."""
    rng = random.Random(7)
    delays = {Backoff(base=2, cap=300, floor=0.1).delay(5, rng) for _ in range(50)}
    assert len(delays) > 40


@pytest.mark.parametrize("bad", [dict(base=5, cap=1, floor=0.5), dict(base=1, cap=5, floor=0)])
def test_a_backoff_that_cannot_work_is_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Backoff(**bad)


def test_sync_and_the_spool_use_the_one_formula() -> None:
    """Same seed, same draw: both callers are the formula with their own base, cap, floor."""
    for failures in range(1, 15):
        assert backoff_delay(failures, rng=random.Random(failures)) == Backoff(
            base=2, cap=300, floor=0.1
        ).delay(failures, random.Random(failures))
        assert spool.backoff(failures, random.Random(failures)) == spool.PRINT_BACKOFF.delay(
            failures, random.Random(failures)
        )
    # the spool's figures as before: 2 s doubling to 2 min, on the upper half
    assert Backoff(base=2.0, cap=120.0, floor=0.5) == spool.PRINT_BACKOFF
    assert 1.0 <= spool.backoff(0) <= 2.0
