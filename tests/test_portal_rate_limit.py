"""The citizen page's rate limit does not lock out a centre (#18).

A centre's public Wi-Fi is one address: many citizens open their receipts from it, and one
enumerator among them may send forged lookups. Failures count per address and per code
prefix (agency and day) with delays that double; receipts that verify are always served.
Real portal (uvicorn on 127.0.0.1) on SQLite and PostgreSQL, real receipts from a counter;
the storage's clock is moved instead of waiting out the delays.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.lookup import parse_lookup_url
from counter.sync import sync_once
from portal import admin
from portal.page import code_prefix
from portal.server import ThreadedPortal
from portal.storage import SQLiteStorage
from tests.support.pg import pg_cluster, portal_db  # noqa: F401  (fixtures)
from tests.support.portal import lookup_counter, receive
from tests.support.sync import AGENCY, Counter

FREE = 10  # failures free of delay per address
PREFIX_FREE = 30  # per code prefix


class Clock:
    """The storage's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def portal(portal_db: str) -> Iterator[ThreadedPortal]:  # noqa: F811
    with ThreadedPortal(
        portal_db, lookup_max_failures=FREE, lookup_max_prefix_failures=PREFIX_FREE
    ) as p:
        yield p


@pytest.fixture
def counter(tmp_path: Path, portal: ThreadedPortal) -> Iterator[Counter]:
    code = admin.create_enrollment_code(portal.storage, AGENCY, 3)
    c = lookup_counter(tmp_path, 3, portal, code)
    assert sync_once(c.store, c.config).ok
    yield c
    c.desk.close()


def forged(url: str, n: int) -> str:
    """The receipt's URL with a wrong token: what an enumerator sends (same code prefix)."""
    token = f"{n:024b}".replace("0", "A").replace("1", "B")
    return url[:-24] + token


def test_citizens_behind_one_address_pass_while_an_enumerator_among_them_waits(
    portal: ThreadedPortal, counter: Counter
) -> None:
    clock = Clock()
    portal.storage.clock = clock
    receipts = [receive(counter) for _ in range(12)]
    assert sync_once(counter.store, counter.config).ok
    statuses: list[int] = []
    retry_after: list[int] = []
    with httpx.Client(timeout=10) as http:
        for round_no in range(30):
            # One enumerator guess per round, all from 127.0.0.1 like the citizens.
            r = http.get(forged(receipts[0][1], round_no))
            statuses.append(r.status_code)
            if r.status_code == 429:
                retry_after.append(int(r.headers["retry-after"]))
                assert "Quá nhiều lần thử" in r.text
            # Every citizen of the centre opens their receipt: always served.
            for _uuid, url in receipts:
                page = http.get(url)
                assert page.status_code == 200, (round_no, page.status_code)
                assert "Quá nhiều" not in page.text
            clock.advance(1.5)
    # The enumerator got its free failures, then was refused while its delay ran.
    assert statuses[: FREE - 1] == [404] * (FREE - 1)
    assert statuses[FREE - 1] == 429
    assert 429 in statuses[FREE:] and statuses.count(404) < len(statuses) - 5
    # The delays grew (1 s, 2 s, 4 s …) as counted failures went on.
    waits = [w for prev, w in zip([0, *retry_after], retry_after, strict=False) if w > prev]
    assert len(waits) >= 3 and waits == sorted(waits)
    # Counted failures: far fewer than sent.
    rows = portal.storage.query("SELECT failures FROM lookup_failures ORDER BY failures DESC")
    assert rows[0][0] < FREE + 8


def test_an_enumerator_spread_over_many_addresses_is_held_by_the_code_prefix(
    portal: ThreadedPortal, counter: Counter
) -> None:
    """A botnet walking one centre's day of codes from many addresses trips the prefix's
    count; a citizen of that centre and day, from a fresh address, is still served."""
    clock = Clock()
    portal.storage.clock = clock
    _uuid, url = receive(counter)
    assert sync_once(counter.store, counter.config).ok
    prefix = code_prefix(parse_lookup_url(url))
    assert prefix is not None and prefix.startswith(AGENCY.upper())
    answers = [
        portal.storage.lookup_failed(f"198.51.100.{n % 250}", prefix) for n in range(PREFIX_FREE)
    ]
    assert answers[: PREFIX_FREE - 1] == [0] * (PREFIX_FREE - 1)
    assert answers[-1] >= 1  # the prefix is now waiting, whichever address asks next
    assert portal.storage.lookup_failed("203.0.113.77", prefix) >= 1
    assert portal.storage.lookup_failed("203.0.113.77", "OTHER-261126") == 0
    with httpx.Client(timeout=10) as http:  # the genuine receipt of that prefix
        assert http.get(url).status_code == 200
        assert http.get(forged(url, 1)).status_code == 429


def test_a_quiet_key_is_forgotten_after_the_window(tmp_path: Path) -> None:
    storage = SQLiteStorage(tmp_path / "p.db")
    clock = Clock()
    storage.clock = clock
    storage.lookup_max_failures = 3
    try:
        assert [storage.lookup_failed("192.0.2.1") for _ in range(3)] == [0, 0, 1]
        clock.advance(31 * 60)
        assert storage.lookup_blocked("192.0.2.1") == 0
        assert storage.lookup_failed("192.0.2.1") == 0  # counted from 1 again
    finally:
        storage.close()


@settings(max_examples=40, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0.0, max_value=90.0), min_size=50, max_size=400),
    free=st.integers(min_value=1, max_value=20),
)
def test_counted_failures_stay_logarithmic_whatever_the_timing(
    tmp_path_factory: pytest.TempPathFactory, gaps: list[float], free: int
) -> None:
    """The drill for the class: whatever rhythm an enumerator keeps, within one window
    (15 min) the failures the storage lets through without a refusal are at most the free
    ones plus one per doubling of the delay, and each refusal names the real wait."""
    storage = SQLiteStorage(tmp_path_factory.mktemp("rl") / "p.db")
    clock = Clock()
    storage.clock = clock
    storage.lookup_max_failures = free
    window = storage.lookup_window.total_seconds()
    let_through: list[datetime] = []
    try:
        for gap in gaps:
            clock.advance(gap)
            waiting = storage.lookup_blocked("192.0.2.9")
            answer = storage.lookup_failed("192.0.2.9")
            if waiting:
                assert answer == waiting  # refused, not counted
            else:
                let_through.append(clock.now)
        # In any window-long stretch, the failures evaluated without a refusal are bounded.
        bound = free + math.ceil(math.log2(window)) + 1
        for i, start in enumerate(let_through):
            inside = [t for t in let_through[i:] if (t - start).total_seconds() < window]
            assert len(inside) <= bound
    finally:
        storage.close()
