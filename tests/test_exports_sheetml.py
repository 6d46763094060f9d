"""The streaming SpreadsheetML writer behind the Mẫu 07 book (`counter.exports.sheetml`).

Read back by openpyxl (every cell, merge and style the form needs) and by LibreOffice itself
(headless conversion): what a supervisor opens must be what the store holds. Under CI a
missing LibreOffice fails, never skips (.ci/run installs `libreoffice-calc-nogui`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from counter import exports
from counter.exports import sheetml
from counter.exports.sheetml import CellStyle, SheetLayout, SheetStream, decode_xstring

WIDTH = len(exports.BOOK_COLUMNS)
DAY = date(2026, 11, 26)

# Every class of character a cell's text can hold that XML or a spreadsheet treats specially.
HOSTILE_TEXTS = [
    "Nguyễn Thị Ánh Tuyết, phường Hoàn Kiếm; ĐT: 0912345678",  # Vietnamese, NFC
    "Nguye\u0302\u0303n",  # combining marks (NFD) kept as typed
    "a\x00b",  # NUL
    "".join(chr(c) for c in range(1, 32)),  # every C0 control, tab, LF and CR among them
    "x\ufffey\uffffz",  # non-characters XML forbids
    "lone \ud800 and \udfff surrogates",
    "<b>&amp;</b> \"quoted\" 'single' ]]>",
    "_x0041_ and _x005F_ and _X0041_ and _x12_ _x1_ _x123_ _x_",  # else decoded as escapes
    "  leading and trailing  ",
    " ",
    "cr\rcrlf\r\nlf\n",
    '=HYPERLINK("http://evil.example","bấm")',
    "+84912345678",
    "-2+3",
    "@SUM(A1:A2)",
    "\uff1dcmd|' /C calc'!A0",
    "001090012345",
    "1e5",
    "TRUE",
    "http://evil.example/x",
    "\U0001f600 emoji and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
]


def book_rows_of(texts: Sequence[str]) -> list[list[Any]]:
    """One book row per text: the text in every text column, a date in every date column."""
    rows: list[list[Any]] = []
    for n, text in enumerate(texts, start=1):
        row: list[Any] = [n] + [text] * (WIDTH - 1)
        for i, col in enumerate(exports.BOOK_COLUMNS):
            if col.date:
                row[i] = datetime(2026, 11, 26, 8, n % 60, n % 60)
        rows.append(row)
    return rows


def write_book(path: Path, rows: Iterable[Sequence[Any]], **kw: Any) -> int:
    args: dict[str, Any] = {"agency": "UBND phường Hoàn Kiếm", "field": None}
    args.update(kw)
    return exports.write_book_xlsx(path, rows, start=DAY, end=DAY, **args)


def sheet_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode()


def body_values(path: Path) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    rows = [
        [c.value for c in row]
        for row in ws.iter_rows(min_row=exports.BOOK_FIRST_DATA_ROW, max_col=WIDTH)
    ]
    wb.close()
    return rows


def shown(value: Any) -> Any:
    """A cell as Excel shows it: text with every `_xHHHH_` decoded."""
    return decode_xstring(value) if isinstance(value, str) else value


# -- text: every class of character -----------------------------------------------------------


def test_every_class_of_text_reads_back_as_typed(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    agency = "=1+1 & <UBND> \x00"
    assert write_book(path, book_rows_of(HOSTILE_TEXTS), agency=agency, field="@x") == len(
        HOSTILE_TEXTS
    )
    xml = sheet_xml(path)
    ElementTree.fromstring(xml)  # well-formed XML 1.0, whatever the cells held
    assert "<f>" not in xml and "<f " not in xml and "<hyperlink" not in xml
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert shown(ws["A1"].value) == agency and ws["A1"].data_type == "s"
    assert ws["A3"].value.startswith("Lĩnh vực: @x — ")
    for r, text in enumerate(HOSTILE_TEXTS, start=exports.BOOK_FIRST_DATA_ROW):
        cells = ws[r]
        assert cells[0].value == r - exports.BOOK_FIRST_DATA_ROW + 1
        for i, col in enumerate(exports.BOOK_COLUMNS[1:], start=1):
            cell = cells[i]
            if col.date:
                assert cell.is_date and cell.value == datetime(2026, 11, 26, 8, r - 6, r - 6)
            else:
                assert cell.data_type == "s", (r, i)
                assert shown(cell.value) == text, (r, i, cell.value)


def test_escaping_is_the_spreadsheet_rule_both_ways() -> None:
    """`escape_text` then ECMA-376's decoding is the identity, for every character class;
    text with nothing special is written as itself (the fast path)."""
    for text in [*HOSTILE_TEXTS, "", "_", "_x", "__x0041__", "_x0041_x0042_"]:
        escaped = sheetml.escape_text(text)
        assert not set(escaped) & {"<", ">", "\r", "\x00", "\ufffe"}
        assert decode_xstring(ElementTree.fromstring(f"<t>{escaped}</t>").text or "") == text
    assert sheetml.escape_text("Hồ sơ 000.00.12.H26-261126-0301") == (
        "Hồ sơ 000.00.12.H26-261126-0301"
    )


def test_text_longer_than_a_cell_is_cut_at_excels_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    long_text = "Hồ sơ " * 7000  # 42,000 characters
    write_book(path, book_rows_of([long_text]))
    assert body_values(path)[0][1] == long_text[: sheetml.MAX_TEXT]


# -- the property: any rows round-trip and give the same bytes --------------------------------

_TRICKY = "_xX0123456789ABCDEFabcdef<&>\"' \t\r\n\x00\x1f\ufffe\ud800ễĐ"
_TEXT = st.text(
    alphabet=st.one_of(st.characters(codec=None, exclude_categories=()), st.sampled_from(_TRICKY)),
    max_size=40,
)
_MOMENT = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)
_VALUE = st.one_of(
    st.none(),
    _TEXT,
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
)


@st.composite
def book_row(draw: st.DrawFn) -> list[Any]:
    return [
        draw(st.one_of(st.none(), _MOMENT)) if col.date else draw(_VALUE)
        for col in exports.BOOK_COLUMNS
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(book_row(), max_size=12))
def test_any_rows_round_trip_unchanged_and_give_the_same_bytes(
    rows: list[list[Any]], tmp_path: Path
) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert write_book(first, rows) == len(rows)
    write_book(second, rows)
    assert first.read_bytes() == second.read_bytes()
    got = body_values(first)
    assert len(got) == len(rows)
    for read, written in zip(got, rows, strict=True):
        want = [None if v == "" else v for v in written]
        assert [shown(v) for v in read] == want


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(book_row(), max_size=8))
def test_the_fast_body_loop_writes_what_the_general_cell_writer_writes(
    rows: list[list[Any]], tmp_path: Path
) -> None:
    """`SheetStream.rows` inlines the common cells for speed; `SheetStream.row` goes through
    `cell_xml` for every cell. Both must give the same bytes for any rows."""
    layout = SheetLayout(
        name="S",
        widths=[10] * WIDTH,
        styles=[CellStyle(border=True), CellStyle(num_format="dd/mm/yyyy hh:mm")],
    )
    styles = [2 if c.date else 1 for c in exports.BOOK_COLUMNS]
    fast, general = tmp_path / "fast.xlsx", tmp_path / "general.xlsx"
    with SheetStream(fast, layout) as sheet:
        sheet.rows(rows, styles)
    with SheetStream(general, layout) as sheet:
        for row in rows:
            sheet.row(list(zip(row, styles, strict=True)))
    assert fast.read_bytes() == general.read_bytes()


# -- the form's layout, cell by cell ----------------------------------------------------------


def test_the_form_layout_reads_back_in_full(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path, book_rows_of(["Hộ tịch", ""]), field="Hộ tịch")
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws.title == "Sổ theo dõi hồ sơ"
    assert {str(r) for r in ws.merged_cells.ranges} == {
        "A1:L1",
        "A2:L2",
        "A3:L3",
        "G4:K4",
        *(f"{c}4:{c}5" for c in "ABCDEFL"),
    }
    assert ws["A1"].font.b and ws["A2"].font.b and ws["A2"].font.sz == 14
    assert ws["A3"].font.i and ws["A3"].value == "Lĩnh vực: Hộ tịch — Ngày 26/11/2026"
    for col, spec in zip("ABCDEFGHIJKL", exports.BOOK_COLUMNS, strict=True):
        # Excel's stored width: the characters plus the cell padding (5 px of 7 px digits).
        assert ws.column_dimensions[col].width == pytest.approx(spec.width + 5 / 7, abs=0.08)
        head = ws[f"{col}4"] if not spec.group else ws[f"{col}5"]  # not inside a merge
        assert head.value == spec.header and head.font.b
        assert head.alignment.horizontal == "center" and head.alignment.wrap_text
        assert ws[f"{col}4"].border.top.style == ws[f"{col}5"].border.bottom.style == "thin"
        number = ws[f"{col}6"]
        assert number.value == f"({'ABCDEFGHIJKL'.index(col) + 1})" and number.font.i
        data = ws[f"{col}7"]
        assert data.border.top.style == data.border.bottom.style == "thin"
        assert data.alignment.vertical == "top" and data.alignment.wrap_text
        assert data.number_format == (exports.DATE_FORMAT if spec.date else "General")
        empty = ws[f"{col}8"]  # an empty cell is still a bordered cell of the book
        assert empty.border.left.style == "thin"
    assert ws["B8"].value is None
    # Every cell of every merged range is written with the range's style (Excel draws each
    # cell's own border): each header row has all twelve cells, one style per row.
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    sheet = ElementTree.fromstring(sheet_xml(path))
    for row in sheet.iterfind("m:sheetData/m:row", ns):
        if int(row.get("r", "0")) < exports.BOOK_FIRST_DATA_ROW:
            cells = row.findall("m:c", ns)
            assert [c.get("r", "")[:1] for c in cells] == list("ABCDEFGHIJKL")
            assert len({c.get("s") for c in cells}) == 1
    assert ws.freeze_panes == "C7"
    assert ws.print_title_rows == "$4:$6"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0
    assert ws.print_options.horizontalCentered
    assert ws.oddFooter.center.text == "Trang &P / &N"
    assert wb.properties.created == wb.properties.modified == datetime(2026, 11, 26)
    assert wb.properties.creator == "counter"


def test_every_zip_member_is_fixed_and_private(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path, book_rows_of(["a"]))
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        infos = z.infolist()
    assert infos[0].filename == "[Content_Types].xml"
    assert {i.date_time for i in infos} == {sheetml.ZIP_EPOCH}
    assert {i.external_attr >> 16 for i in infos} == {0o600}


# -- bad input changes nothing; memory stays bounded ------------------------------------------


def test_a_failed_book_leaves_no_file(tmp_path: Path) -> None:
    """A row source that fails halfway (the store went away), a row of the wrong width, a
    value no cell can hold: an error, and neither the book nor a part-written file remains."""

    def failing() -> Iterator[list[Any]]:
        yield from book_rows_of(["a"] * 600)
        raise OSError("disk I/O error")

    cases: list[tuple[Any, type[Exception]]] = [
        (failing(), OSError),
        ([[1, "too short"]], ValueError),
        ([[1] + [float("nan")] * (WIDTH - 1)], ValueError),
        ([[datetime(2026, 1, 1).astimezone()] * WIDTH], ValueError),
    ]
    for rows, error in cases:
        with pytest.raises(error):
            write_book(tmp_path / "book.xlsx", rows)
        assert list(tmp_path.iterdir()) == []


def test_memory_does_not_grow_with_the_rows(tmp_path: Path) -> None:
    """Rows stream into the deflate stream in batches: Python's peak while writing 20,000
    rows is about that of 2,000 (nothing is kept per row)."""

    def generated(count: int) -> Iterator[list[Any]]:
        for i in range(count):
            yield from book_rows_of([f"Nguyễn Văn Bình {i}"])

    peaks = []
    for count in (2_000, 20_000):
        tracemalloc.start()
        try:
            write_book(tmp_path / f"{count}.xlsx", generated(count))
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < 2 * peaks[0] + 2**20, peaks


# -- LibreOffice opens it ---------------------------------------------------------------------


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        message = "LibreOffice is needed (apt-get install libreoffice-calc-nogui)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _convert(soffice: str, source: Path, target: str, out: Path, profile: Path) -> Path:
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    converted = out / (source.stem + "." + target.split(":")[0])
    assert converted.exists(), f"LibreOffice wrote no {converted.name}"
    return converted


@pytest.mark.slow
def test_libreoffice_reads_the_book_cell_for_cell(tmp_path: Path) -> None:
    """LibreOffice Calc (headless) opens the book: its CSV shows every cell as written
    (dates in the book's format), and its own XLSX keeps the merges, print titles, widths."""
    soffice = _soffice()
    texts = [
        t for t in HOSTILE_TEXTS if not any(ord(c) < 32 or 0xD800 <= ord(c) < 0xE000 for c in t)
    ]
    texts += ["tab\tinside", "line\nbreak", "\U0001f600"]
    path = tmp_path / "book.xlsx"
    rows = book_rows_of(texts)
    write_book(path, rows)
    out, profile = tmp_path / "out", tmp_path / "profile"
    csv_path = _convert(soffice, path, "csv:Text - txt - csv (StarCalc):44,34,76", out, profile)
    got = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"), newline="")))
    assert got[0][0] == "UBND phường Hoàn Kiếm"
    assert got[1][0] == "SỔ THEO DÕI HỒ SƠ (Mẫu số 07)"
    assert got[3][:2] == ["STT", "Mã hồ sơ"] and got[3][6] == exports.GROUP_HEADER
    assert got[5] == [f"({i})" for i in range(1, WIDTH + 1)]
    body = got[exports.BOOK_FIRST_DATA_ROW - 1 :]
    assert len(body) == len(rows)
    for line, row in zip(body, rows, strict=True):
        want = [f"{v:%d/%m/%Y %H:%M}" if isinstance(v, datetime) else str(v) for v in row]
        assert line == want
    resaved = _convert(soffice, path, "xlsx", out / "resaved", profile)
    ws = openpyxl.load_workbook(resaved).worksheets[0]
    assert {"A1:L1", "G4:K4", "A4:A5", "L4:L5"} <= {str(r) for r in ws.merged_cells.ranges}
    # (Frozen panes are view settings, which headless LibreOffice does not keep on saving,
    # whoever wrote the file: they are checked with openpyxl above.)
    assert ws.print_title_rows == "$4:$6"
    assert ws.column_dimensions["C"].width == pytest.approx(40.7, abs=0.5)
    assert ws["G7"].is_date and ws["G7"].value == rows[0][6]
