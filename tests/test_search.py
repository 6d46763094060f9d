"""Search: code, name, ID, phone; diacritic- and đ-insensitive; ranked; paged."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from counter.desk import Desk
from counter.dossiers import Applicant
from counter.text import fold
from counter.timeutil import VN_TZ
from tests.support.builders import draft_for
from tests.support.clock import FrozenClock


def person(name: str, id_number: str, phone: str) -> Applicant:
    return Applicant(name=name, id_number=id_number, phone=phone)


def seed(desk: Desk, clock: FrozenClock) -> dict[str, str]:
    people = {
        "duc": person("Nguyễn Văn Đức", "001090012345", "0912345678"),
        "dung": person("Trần Thị Dung", "001190054321", "0987654321"),
        "duc2": person("Lê Minh Đức", "001085011111", "0911111111"),
        "hoa": person("Phạm Thị Hoà", "001195022222", "0355555555"),
    }
    out = {}
    for i, (key, applicant) in enumerate(people.items()):
        clock.now = datetime(2026, 11, 26, 8, i, tzinfo=VN_TZ)
        out[key] = desk.receive(draft_for(desk, applicant=applicant)).uuid
    return out


def found(desk: Desk, q: str) -> list[str]:
    return [d.uuid for d in desk.search(q).dossiers]


def test_duc_finds_both_duc_newest_first(officer_desk: Desk, clock: FrozenClock) -> None:
    ids = seed(officer_desk, clock)
    assert found(officer_desk, "duc") == [ids["duc2"], ids["duc"]]
    assert found(officer_desk, "Đức") == [ids["duc2"], ids["duc"]]
    assert found(officer_desk, "nguyen van duc") == [ids["duc"]]
    assert found(officer_desk, "NGUYỄN VĂN ĐỨC") == [ids["duc"]]
    # Decomposed input from another input method finds the same.
    import unicodedata

    assert found(officer_desk, unicodedata.normalize("NFD", "Đức")) == [ids["duc2"], ids["duc"]]


def test_tone_mark_placement_does_not_matter(officer_desk: Desk, clock: FrozenClock) -> None:
    ids = seed(officer_desk, clock)
    assert found(officer_desk, "Hòa") == [ids["hoa"]]  # stored as "Hoà"


def test_by_id_phone_and_code(officer_desk: Desk, clock: FrozenClock) -> None:
    ids = seed(officer_desk, clock)
    assert found(officer_desk, "001190054321")[0] == ids["dung"]
    assert found(officer_desk, "0987 654 321")[0] == ids["dung"]
    assert found(officer_desk, "+84987654321")[0] == ids["dung"]
    code = officer_desk.get(ids["hoa"]).code
    assert found(officer_desk, code)[0] == ids["hoa"]
    assert found(officer_desk, code.rsplit("-", 1)[1])[0] == ids["hoa"]  # "030004"
    assert found(officer_desk, "0011900")[0] == ids["dung"]  # ID prefix


def test_exact_id_ranks_before_text_matches(officer_desk: Desk, clock: FrozenClock) -> None:
    ids = seed(officer_desk, clock)
    # "001090012345" is Đức's ID; exact match first even though others are newer.
    assert found(officer_desk, "001090012345")[0] == ids["duc"]


def test_paging_and_totals(officer_desk: Desk, clock: FrozenClock) -> None:
    for i in range(25):
        clock.now = datetime(2026, 11, 26, 8, i, tzinfo=VN_TZ)
        officer_desk.receive(draft_for(officer_desk))
    p0 = officer_desk.search("duc", page=0, page_size=10)
    p2 = officer_desk.search("duc", page=2, page_size=10)
    assert p0.total == 25 and len(p0.dossiers) == 10 and len(p2.dossiers) == 5
    assert not {d.uuid for d in p0.dossiers} & {d.uuid for d in p2.dossiers}


def test_nonsense_and_empty_find_nothing(officer_desk: Desk, clock: FrozenClock) -> None:
    seed(officer_desk, clock)
    assert found(officer_desk, "") == []
    assert found(officer_desk, "   ") == []
    assert found(officer_desk, '"*)(') == []
    assert found(officer_desk, "xyzzy") == []


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30))
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert "đ" not in once and "Đ" not in once


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_any_query_is_safe(text: str) -> None:
    """No query string can break the FTS syntax or raise."""
    from counter.search import _fts_query

    q = _fts_query(text)
    assert '""' not in q


def test_a_code_is_found_by_any_fragment(officer_desk: Desk, clock: FrozenClock) -> None:
    """ "12.H26" or "261126-03" from the middle of a code finds it (the index knows prefixes)."""
    d = officer_desk.receive(draft_for(officer_desk))
    assert d.code == "000.00.12.H26-261126-030001"
    for fragment in ("12.H26", "12.h26-2611", "261126-03", "H26-261126-030001", "-030001"):
        assert [x.uuid for x in officer_desk.search(fragment).dossiers] == [d.uuid], fragment
    for other in ("13.H26", "261127-03", "99.99"):
        assert officer_desk.search(other).dossiers == [], other


def test_a_scanned_code_of_another_system_is_recognised() -> None:
    from screens.scan import find_scan

    scan = find_scan("000.00.06.H56-231027-0361", "000.00.12.H26")
    assert scan is not None and scan.code == "000.00.06.H56-231027-0361"
