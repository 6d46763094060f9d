"""The procedure catalogue: the shipped file, search, and the errors of a broken file."""

from __future__ import annotations

import datetime
import pathlib
import unicodedata

import pytest

from counter.catalogue import (
    DELIVERY_OPTIONS,
    DOCUMENT_FORMS,
    DURATION_UNITS,
    Catalogue,
    CatalogueError,
    Procedure,
    load_catalogue,
)
from counter.errors import NotFound


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def _texts(procedure: Procedure) -> list[str]:
    texts = [
        procedure.code,
        procedure.name,
        procedure.field,
        procedure.deciding_agency,
        procedure.duration_note,
        procedure.fee_note,
        procedure.source,
    ]
    texts.extend(doc.name for doc in procedure.documents)
    return texts


# ── the shipped file ──────────────────────────────────────────────────


def test_shipped_catalogue_loads_with_enough_procedures_and_fields(catalogue: Catalogue) -> None:
    assert len(catalogue.procedures) >= 25
    assert len(catalogue.fields()) >= 6
    codes = [p.code for p in catalogue.procedures]
    assert len(codes) == len(set(codes))


def test_shipped_texts_are_nfc(catalogue: Catalogue) -> None:
    raw = (pathlib.Path(__file__).parents[1] / "counter" / "data" / "catalogue.toml").read_text(
        encoding="utf-8"
    )
    assert unicodedata.is_normalized("NFC", raw)
    for procedure in catalogue.procedures:
        for text in _texts(procedure):
            assert unicodedata.is_normalized("NFC", text), (procedure.code, text)


def test_shipped_values_are_in_range(catalogue: Catalogue) -> None:
    units = set()
    for p in catalogue.procedures:
        assert p.name and p.field and p.source and p.deciding_agency
        assert p.duration_unit in DURATION_UNITS
        assert p.duration >= 0
        assert p.fee >= 0
        assert p.delivery and set(p.delivery) <= set(DELIVERY_OPTIONS)
        assert p.documents
        assert all(d.form in DOCUMENT_FORMS and d.count >= 1 for d in p.documents)
        units.add(p.duration_unit)
    assert {"working_hours", "calendar_days", "working_days"} <= units


def test_cutoff_15h_on_chung_thuc_and_ho_tich(catalogue: Catalogue) -> None:
    fifteen = datetime.time(15, 0)
    for field in ("Chứng thực", "Hộ tịch"):
        assert any(p.cutoff == fifteen for p in catalogue.by_field(field)), field
    assert catalogue.get("1.001193").cutoff == fifteen
    assert catalogue.get("2.000815").cutoff == fifteen


def test_fields_sorted_vietnamese_aware(catalogue: Catalogue) -> None:
    fields = catalogue.fields()
    # "Đất đai" sorts with the d's (after "Cư trú"), not after every Latin letter.
    assert fields.index("Cư trú") < fields.index("Đất đai") < fields.index("Hộ tịch")


def test_duration_text(catalogue: Catalogue) -> None:
    assert catalogue.get("1.001193").duration_text() == "Trong ngày"
    assert catalogue.get("1.001193").duration_text("en") == "Same day"
    assert catalogue.get("1.004194").duration_text() == "03 ngày làm việc"
    assert catalogue.get("1.004194").duration_text("en") == "3 working days"
    hours = next(p for p in catalogue.procedures if p.duration_unit == "working_hours")
    assert hours.duration_text().endswith("giờ làm việc")
    days = next(p for p in catalogue.procedures if p.duration_unit == "calendar_days")
    assert days.duration_text() == f"{int(days.duration):02d} ngày"


# ── lookup and search ─────────────────────────────────────────────────


def test_get_unknown_code_raises_not_found(catalogue: Catalogue) -> None:
    with pytest.raises(NotFound) as info:
        catalogue.get("9.999999")
    assert "9.999999" in info.value.message("vi")
    assert "9.999999" in info.value.message("en")


def test_search_khai_sinh_first(catalogue: Catalogue) -> None:
    results = catalogue.search("khai sinh")
    assert results[0].code == "1.001193"
    assert len(results) > 1


def test_search_without_diacritics(catalogue: Catalogue) -> None:
    results = catalogue.search("dang ky ket hon")
    assert results and results[0].name == "Đăng ký kết hôn"
    decomposed = unicodedata.normalize("NFD", "Đăng ký kết hôn")
    assert catalogue.search(decomposed)[0].code == results[0].code


def test_search_folds_d_stroke(catalogue: Catalogue) -> None:
    results = catalogue.search("dat dai")
    assert results
    assert all("đất đai" in p.name.lower() for p in results)
    assert {p.field for p in results} == {"Đất đai"}


def test_search_by_code(catalogue: Catalogue) -> None:
    by_prefix = catalogue.search("2.0008")
    assert [p.code for p in by_prefix] == ["2.000815", "2.000884"]
    assert catalogue.search("1.001193")[0].code == "1.001193"
    # The exact code outranks everything else.
    assert catalogue.search("2.000815")[0].code == "2.000815"


def test_search_all_words_must_match(catalogue: Catalogue) -> None:
    assert catalogue.search("khai sinh xyzzy") == []
    assert all("tam" in p.name.lower() or "tạm" in p.name.lower() for p in catalogue.search("tam"))


def test_search_empty_returns_catalogue_order_and_limit(catalogue: Catalogue) -> None:
    assert catalogue.search("") == list(catalogue.procedures[:20])
    assert catalogue.search("   ", limit=50) == list(catalogue.procedures)
    assert len(catalogue.search("", limit=3)) == 3


# ── broken files ──────────────────────────────────────────────────────

GOOD = """
[[procedure]]
code = "1.001193"
code_verified = true
name = "Đăng ký khai sinh"
field = "Hộ tịch"
deciding_agency = "UBND cấp xã"
duration = 0
duration_unit = "working_days"
cutoff = "15:00"
fee = 0
delivery = ["counter"]
source = "test"
[[procedure.documents]]
name = "Tờ khai đăng ký khai sinh"
form = "original"
count = 1
required = true
"""


def _write(tmp_path: pathlib.Path, text: str) -> pathlib.Path:
    path = tmp_path / "catalogue.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: pathlib.Path, text: str) -> str:
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    assert str(path) in message
    return message


def test_good_minimal_file_loads_and_normalises(tmp_path: pathlib.Path) -> None:
    decomposed = GOOD.replace(
        "Đăng ký khai sinh", unicodedata.normalize("NFD", "Đăng ký khai sinh")
    )
    catalogue = load_catalogue(_write(tmp_path, decomposed))
    procedure = catalogue.get("1.001193")
    assert procedure.name == unicodedata.normalize("NFC", "Đăng ký khai sinh")
    assert procedure.cutoff == datetime.time(15, 0)
    assert procedure.delivery == ("counter",)


def test_bad_unit(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, GOOD.replace('"working_days"', '"weeks"'))
    assert "duration_unit" in message and "weeks" in message and "1.001193" in message


def test_duplicate_code(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, GOOD + GOOD)
    assert "duplicate" in message and "'code'" in message and "#2" in message


def test_missing_documents(tmp_path: pathlib.Path) -> None:
    text = GOOD.split("[[procedure.documents]]")[0]
    message = _error(tmp_path, text)
    assert "documents" in message


def test_bad_cutoff(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, GOOD.replace('"15:00"', '"3pm"'))
    assert "cutoff" in message and "HH:MM" in message


def test_negative_fee(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, GOOD.replace("fee = 0", "fee = -5"))
    assert "'fee'" in message and "-5" in message


def test_bad_document_form_and_delivery(tmp_path: pathlib.Path) -> None:
    text = GOOD.replace('form = "original"', 'form = "photocopy"').replace(
        'delivery = ["counter"]', 'delivery = ["fax"]'
    )
    message = _error(tmp_path, text)
    assert "documents[1].form" in message and "delivery" in message


def test_unknown_key_and_all_problems_collected(tmp_path: pathlib.Path) -> None:
    text = (
        GOOD.replace("fee = 0", "fee = -1\ncolour = 'red'")
        .replace('"working_days"', '"fortnights"')
        .replace('name = "Đăng ký khai sinh"', 'name = ""')
    )
    path = _write(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(path)
    message = str(info.value)
    for key in ("'colour'", "'fee'", "'duration_unit'", "'name'"):
        assert key in message
    assert len(info.value.problems) >= 4


def test_invalid_toml(tmp_path: pathlib.Path) -> None:
    message = _error(tmp_path, "[[procedure]\ncode = ")
    assert "TOML" in message


# ── the numbers say what the published notes say ───────────────────────────────


def test_a_same_day_note_needs_duration_zero_and_a_cutoff(tmp_path: pathlib.Path) -> None:
    text = GOOD.replace("duration = 0", "duration = 2").replace(
        'cutoff = "15:00"\n',
        'duration_note = "Trong ngày hoặc ngày làm việc tiếp theo"\n',
    )
    message = _error(tmp_path, text)
    assert "'duration'" in message and "'cutoff'" in message


def test_a_fee_note_that_names_a_fee_needs_the_fee(tmp_path: pathlib.Path) -> None:
    text = GOOD.replace("fee = 0\n", 'fee = 0\nfee_note = "Theo Nghị quyết của HĐND"\n')
    assert "'fee'" in _error(tmp_path, text)
    free = GOOD.replace("fee = 0\n", 'fee = 0\nfee_note = "Miễn lệ phí"\n')
    assert load_catalogue(_write(tmp_path, free)).get("1.001193").fee == 0


def test_the_two_entries_the_issue_named(catalogue: Catalogue) -> None:
    copy = catalogue.get("2.000908")  # "trong ngày hoặc ngày làm việc tiếp theo"
    assert copy.duration == 0 and copy.cutoff == datetime.time(15, 0)
    assert catalogue.get("1.004884").fee > 0  # its note names a lệ phí


def test_code_verified_is_only_claimed_with_a_source(catalogue: Catalogue) -> None:
    for p in catalogue:
        if p.code_verified:
            assert "dichvucong.gov.vn" in p.source or "csdl" in p.source.lower(), p.code
