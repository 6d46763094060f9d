"""Dossier codes: format, parsing and the counter-partitioned allocator."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from counter.codes import allocate_code, continue_after, format_code, parse_code
from counter.store import Store

agencies = st.from_regex(r"[0-9A-Z]{1,5}(\.[0-9A-Z]{1,4}){0,4}", fullmatch=True)
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@given(agencies, days, st.integers(1, 99), st.integers(1, 10**7))
def test_format_parse_round_trip(agency: str, day: date, counter_no: int, seq: int) -> None:
    code = format_code(agency, day, counter_no, seq)
    parsed = parse_code(code)
    assert parsed is not None
    assert (parsed.agency, parsed.day, parsed.counter_no, parsed.seq) == (
        agency,
        day,
        counter_no,
        seq,
    )
    assert len(code.rsplit("-", 1)[1]) >= 6  # 2 counter digits + at least 4 sequence digits


def test_real_shape() -> None:
    assert format_code("000.00.12.H26", date(2026, 11, 26), 3, 15) == (
        "000.00.12.H26-261126-030015"
    )
    assert parse_code("  000.00.12.h26-261126-030015 ") is not None
    for bad in ["", "abc", "000.00.12.H26-261326-030015", "H26-261126-0315", "H26--261126-030015"]:
        assert parse_code(bad) is None
    with pytest.raises(ValueError):
        format_code("H26", date(2026, 1, 1), 100, 1)


def test_allocation_needs_the_saving_transaction(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    with pytest.raises(RuntimeError):
        allocate_code(store.db, "H26", 1, date(2026, 1, 1))


def test_continuing_after_a_predecessor_never_moves_a_sequence_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    day, other = date(2026, 11, 26), date(2026, 11, 25)
    with store.write() as db:
        for _ in range(5):
            allocate_code(db, "H26", 3, day)
        continue_after(db, 3, day, 2)  # behind what this PC has: ignored
        assert allocate_code(db, "H26", 3, day) == "H26-261126-030006"
        continue_after(db, 3, day, 12)  # the predecessor got further: go on from there
        assert allocate_code(db, "H26", 3, day) == "H26-261126-030013"
        continue_after(db, 3, other, 7)  # a day this PC never used
        assert allocate_code(db, "H26", 3, other) == "H26-261125-030008"
        assert allocate_code(db, "H26", 4, day) == "H26-261126-040001"  # other counters alone
    store.close()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 4),
            st.sampled_from([date(2026, 11, 26), date(2026, 11, 27)]),
            st.booleans(),
        ),
        max_size=60,
    )
)
def test_codes_unique_across_counters_and_never_reused(tmp_path_factory, ops) -> None:
    """Many counters (each its own store, no network) with rollbacks: all codes distinct,
    and a rolled-back allocation is not a code anyone saw."""
    base = tmp_path_factory.mktemp("codes")
    stores = {n: Store(base / f"counter{n}.db") for n in range(1, 5)}
    seen: list[str] = []
    for counter_no, day, commit in ops:
        store = stores[counter_no]
        try:
            with store.write() as db:
                code = allocate_code(db, "000.00.12.H26", counter_no, day)
                if not commit:
                    raise KeyboardInterrupt
            seen.append(code)
        except KeyboardInterrupt:
            pass
    assert len(seen) == len(set(seen))
    for n, store in stores.items():
        for day in (date(2026, 11, 26), date(2026, 11, 27)):
            mine = sorted(
                parse_code(c).seq
                for c in seen
                if parse_code(c).counter_no == n and parse_code(c).day == day
            )
            assert mine == list(range(1, len(mine) + 1))  # dense, in order
        store.close()


# -- codes of other systems (DOMAIN §3) --------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "000.00.06.H56-231027-0361",  # Thanh Hóa: a 4-digit daily sequence
        "000.A0.01.H26-210212-9090",  # a Hà Nội record
        "G22.101.06-260105-010001",  # a national system (Circular 04/2025: AA + XXXX)
        "000.00.12.H26-261126-030015",  # this app's own
    ],
)
def test_codes_of_other_systems_are_recognised(code: str) -> None:
    from counter.codes import recognise_code

    assert recognise_code(f"  {code.lower()} ") == code


@pytest.mark.parametrize(
    "text", ["", "H26-261126-031", "H26-261326-0315", "H26--261126-0315", "A" * 36 + "-261126-0315"]
)
def test_non_codes_are_not_recognised(text: str) -> None:
    from counter.codes import recognise_code

    assert recognise_code(text) is None


@given(agencies, days, st.integers(0, 10**8))
def test_any_agency_day_and_sequence_of_4_digits_or_more_is_recognised(
    agency: str, day: date, seq: int
) -> None:
    from counter.codes import recognise_code

    code = f"{agency}-{day:%y%m%d}-{seq:04d}"
    assert recognise_code(code) == code
