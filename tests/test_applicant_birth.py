"""The applicant's date of birth and sex: parsed as the counter types them, refused with a clear
message when impossible or in the future or when they contradict the ID number, and kept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from counter.desk import Desk
from counter.dossiers import (
    Applicant,
    DossierDraft,
    check_birth_matches_id,
    documents_from_procedure,
    fmt_birth_date,
    parse_birth_date,
    parse_sex,
)
from counter.errors import InvalidInput
from tests.support.tui import BIRTH

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize(
    ("typed", "iso"),
    [
        ("15/08/2003", "2003-08-15"),
        ("15-08-2003", "2003-08-15"),
        ("15.08.2003", "2003-08-15"),
        ("15082003", "2003-08-15"),
        ("5/8/2003", "2003-08-05"),
        ("2003-08-15", "2003-08-15"),  # what a kept draft may hold
        ("29/02/2004", "2004-02-29"),
        ("26/11/2026", "2026-11-26"),  # born today
        ("", ""),
        ("   ", ""),
    ],
)
def test_birth_dates_as_typed(typed: str, iso: str) -> None:
    assert parse_birth_date(typed, today=TODAY) == iso


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("31/02/2000", "không phải một ngày có thật"),
        ("29/02/2003", "không phải một ngày có thật"),
        ("00/01/2000", "không phải một ngày có thật"),
        ("15/13/2000", "không phải một ngày có thật"),
        ("15/08/03", "không phải một ngày có thật"),
        ("hôm qua", "không phải một ngày có thật"),
        ("27/11/2026", "chưa tới"),
        ("01/01/2090", "chưa tới"),
        ("31/12/1899", "quá xa"),
    ],
)
def test_impossible_or_future_birth_dates_are_refused(typed: str, words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_birth_date(typed, today=TODAY)
    assert caught.value.field == "applicant.birth_date"
    assert words in caught.value.message("vi")
    assert caught.value.message("en") != caught.value.message("vi")  # English too


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_every_past_date_round_trips(born: date) -> None:
    iso = parse_birth_date(f"{born:%d/%m/%Y}", today=TODAY)
    assert iso == born.isoformat()
    assert fmt_birth_date(iso) == f"{born:%d/%m/%Y}"


@given(st.dates(min_value=TODAY + timedelta(days=1), max_value=date(9999, 12, 31)))
def test_every_future_date_is_refused(born: date) -> None:
    with pytest.raises(InvalidInput):
        parse_birth_date(f"{born:%d/%m/%Y}", today=TODAY)


@given(st.integers(1, 31), st.integers(1, 12), st.integers(1900, 2026))
def test_a_day_month_year_is_kept_exactly_or_refused(day: int, month: int, year: int) -> None:
    """Never a silently shifted date (31/04 is not 01/05)."""
    try:
        real = date(year, month, day)
    except ValueError:
        real = None
    typed = f"{day:02d}/{month:02d}/{year}"
    if real is None or real > TODAY:
        with pytest.raises(InvalidInput):
            parse_birth_date(typed, today=TODAY)
    else:
        assert parse_birth_date(typed, today=TODAY) == real.isoformat()


@pytest.mark.parametrize(
    ("typed", "sex"),
    [
        ("Nam", "male"),
        ("nam", "male"),
        ("Nữ", "female"),
        ("nu", "female"),
        ("NỮ", "female"),
        ("Male", "male"),
        ("female", "female"),
        ("m", "male"),
        ("f", "female"),
        ("", ""),
    ],
)
def test_sex_as_typed_or_as_on_the_card(typed: str, sex: str) -> None:
    assert parse_sex(typed) == sex


@pytest.mark.parametrize("typed", ["n", "x", "khác", "1"])
def test_an_unknown_sex_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_sex(typed)
    assert "Nam" in caught.value.message("vi") and "Nữ" in caught.value.message("vi")


def test_birth_and_sex_must_match_the_id_number() -> None:
    # 001303012345: 4th digit 3 = female born in the 2000s, 5th-6th = 03.
    check_birth_matches_id("2003-08-15", "female", "001303012345")
    with pytest.raises(InvalidInput) as caught:
        check_birth_matches_id("2004-08-15", "female", "001303012345")
    assert caught.value.field == "applicant.birth_date" and "2003" in caught.value.message("vi")
    with pytest.raises(InvalidInput) as caught:
        check_birth_matches_id("2003-08-15", "male", "001303012345")
    assert caught.value.field == "applicant.sex"


def _draft(desk: Desk, **applicant: str) -> DossierDraft:
    proc = desk.catalogue.get(BIRTH)
    return DossierDraft(
        procedure_code=proc.code,
        applicant=Applicant(name="Lê Thị Hoa", id_number="001303012345", **applicant),
        documents=documents_from_procedure(proc),
        delivery=proc.delivery[0],
    )


def test_birth_and_sex_are_stored_and_read_back(officer_desk: Desk) -> None:
    saved = officer_desk.receive(_draft(officer_desk, birth_date="15/08/2003", sex="Nữ"))
    again = officer_desk.get(saved.uuid)
    assert (again.applicant.birth_date, again.applicant.sex) == ("2003-08-15", "female")
    row = officer_desk.store.conn.execute(
        "SELECT applicant_birth_date, applicant_sex FROM dossiers WHERE uuid = ?", (saved.uuid,)
    ).fetchone()
    assert tuple(row) == ("2003-08-15", "female")


@pytest.mark.parametrize(
    ("applicant", "field"),
    [
        ({"birth_date": "31/02/2003"}, "applicant.birth_date"),
        ({"birth_date": "01/01/2027"}, "applicant.birth_date"),  # the desk's clock: 2026-11-26
        ({"birth_date": "15/08/2004"}, "applicant.birth_date"),
        ({"sex": "Nam"}, "applicant.sex"),
        ({"sex": "?"}, "applicant.sex"),
    ],
)
def test_a_bad_birth_or_sex_saves_nothing(
    officer_desk: Desk, applicant: dict[str, str], field: str
) -> None:
    before = officer_desk.today().total
    with pytest.raises(InvalidInput) as caught:
        officer_desk.receive(_draft(officer_desk, **applicant))
    assert caught.value.field == field
    assert officer_desk.today().total == before


def test_an_organisation_keeps_no_birth_or_sex(officer_desk: Desk) -> None:
    draft = _draft(officer_desk, birth_date="15/08/2003", sex="Nữ")
    org = replace(
        draft.applicant, kind="organisation", name="Công ty TNHH An Bình", id_number="0100109106"
    )
    saved = officer_desk.receive(replace(draft, applicant=org))
    assert (saved.applicant.birth_date, saved.applicant.sex) == ("", "")
