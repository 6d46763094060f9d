"""Exports read back with openpyxl and csv and checked against the store."""

from __future__ import annotations

import argparse
import csv
import io
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bench.bench_exports import insert_bulk_dossiers
from counter import exports, signing, stats
from counter.catalogue import delivery_label
from counter.config import Config
from counter.desk import Desk
from counter.errors import AuthError, InvalidInput
from counter.timeutil import VN_TZ
from counter_cli.export import add_export_arguments, resolve_range, run_export_command
from tests.support.builders import seed_demo_store, supervisor_on_copy
from tests.support.clock import FrozenClock

START, END = date(2026, 11, 16), date(2026, 11, 26)


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_demo_store(tmp_path_factory.mktemp("demo"), FrozenClock(), days=10, per_day=10)


@pytest.fixture
def sup(demo_db: Path, config: Config, clock: FrozenClock) -> Iterator[Desk]:
    """A copy of the demo store with the supervisor logged in."""
    desk = supervisor_on_copy(demo_db, config, clock)
    yield desk
    desk.close()


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(VN_TZ).replace(tzinfo=None) if moment else None


def expected_book(desk: Desk, start: date, end: date, field: str | None = None) -> list[tuple]:
    """The book as the Desk sees it, built without the exporter's SQL."""
    lo = datetime.combine(start, datetime.min.time(), tzinfo=VN_TZ)
    hi = datetime.combine(end + timedelta(days=1), datetime.min.time(), tzinfo=VN_TZ)
    uuids = [r[0] for r in desk.store.conn.execute("SELECT uuid FROM dossiers")]
    ds = [desk.get(u) for u in uuids]
    ds = [d for d in ds if lo <= d.received_at < hi and (field is None or d.field == field)]
    ds.sort(key=lambda d: (d.received_at, d.code))
    rows = []
    for n, d in enumerate(ds, start=1):
        name = d.applicant.name
        if d.representative:
            name += f" (người đại diện: {d.representative.name})"
        rows.append(
            (
                n,
                d.code,
                d.procedure_name,
                name,
                f"{d.applicant.address}; ĐT: {d.applicant.phone}",
                desk.catalogue.get(d.procedure_code).deciding_agency,
                _naive(d.received_at),
                _naive(d.due_at),
                _naive(d.returned_at),
                delivery_label(d.delivery),
                d.returned_to or None,
                d,
            )
        )
    return rows


def check_note(desk: Desk, note: str, dossier: Any) -> None:
    assert note.startswith(dossier.status_label())
    if dossier.status in stats.RESOLVED:
        key = desk.calendar.finish_status(dossier.finished_at, dossier.due_at)
        assert note.endswith(exports.TIMELINESS_VI[key].lower())


def read_xlsx_rows(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb.worksheets[0]
    rows = list(ws.iter_rows(min_row=exports.BOOK_FIRST_DATA_ROW, values_only=True))
    wb.close()
    return rows


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with the UTF-8 BOM"
    # The shipped config writes ";" (the list separator of Vietnamese regional settings).
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    return rows[0], rows[1:]


def test_book_xlsx_and_csv_match_the_store(sup: Desk, tmp_path: Path) -> None:
    seen: list[tuple[int, int]] = []
    result = exports.export(
        sup,
        exports.ExportRequest(START, END, tmp_path / "out"),
        on_progress=lambda done, total: seen.append((done, total)),
    )
    expected = expected_book(sup, START, END)
    assert len(expected) > 40 and result.rows == 2 * len(expected)
    names = sorted(f.path.name for f in result.files)
    assert names == [
        "so-theo-doi-ho-so_2026-11-16_2026-11-26.csv",
        "so-theo-doi-ho-so_2026-11-16_2026-11-26.xlsx",
    ]
    assert seen[0] == (0, 2 * len(expected)) and seen[-1] == (result.rows, result.rows)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    xlsx = tmp_path / "out" / names[1]
    got = read_xlsx_rows(xlsx)
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert row[:11] == want[:11]
        check_note(sup, row[11], want[11])

    header, body = read_csv_rows(tmp_path / "out" / names[0])
    assert header == list(exports.BOOK_HEADERS)
    assert len(body) == len(expected)
    for text_row, want in zip(body, expected, strict=True):
        assert text_row[:6] == [str(v) for v in want[:6]]
        assert text_row[6] == f"{want[6]:%d/%m/%Y %H:%M}"
        assert text_row[7] == f"{want[7]:%d/%m/%Y %H:%M}"
        assert text_row[8] == (f"{want[8]:%d/%m/%Y %H:%M}" if want[8] else "")
        assert text_row[9] == want[9] and text_row[10] == (want[10] or "")
        check_note(sup, text_row[11], want[11])


def test_book_xlsx_is_laid_out_like_the_form(sup: Desk, tmp_path: Path) -> None:
    result = exports.export(sup, exports.ExportRequest(END, END, tmp_path, formats=("xlsx",)))
    wb = openpyxl.load_workbook(result.files[0].path)
    ws = wb.worksheets[0]
    assert ws["A2"].value == "SỔ THEO DÕI HỒ SƠ (Mẫu số 07)"
    assert ws["A3"].value == "Lĩnh vực: Tất cả lĩnh vực — Ngày 26/11/2026"
    assert [c.value for c in ws[4]] == [
        "STT",
        "Mã hồ sơ",
        "Tên TTHC",
        "Tên tổ chức, cá nhân",
        "Địa chỉ, số điện thoại",
        "Cơ quan chủ trì giải quyết",
        "Nhận và trả kết quả",
        None,
        None,
        None,
        None,
        "Ghi chú",
    ]
    assert [c.value for c in ws[5]][6:11] == [
        "Nhận hồ sơ",
        "Hẹn trả kết quả",
        "Trả kết quả",
        "Phương thức nhận kết quả",
        "Ký nhận",
    ]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"G4:K4", "A4:A5", "L4:L5", "A1:L1"} <= merged
    assert ws.freeze_panes == "C7"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$4:$6"
    # The width is stored with Excel's cell padding, so Excel shows 40 characters.
    assert 40 <= ws.column_dimensions["C"].width < 41
    assert ws["G7"].number_format == exports.DATE_FORMAT
    assert ws["G4"].border.top.style == "thin" and ws["A5"].border.bottom.style == "thin"
    # Document dates come from the range, never from the clock (one date for both).
    assert wb.properties.created == datetime(2026, 11, 26, 0, 0)
    assert wb.properties.modified == wb.properties.created


def test_one_book_per_field_and_a_single_field(sup: Desk, tmp_path: Path) -> None:
    result = exports.export(
        sup, exports.ExportRequest(START, END, tmp_path / "all", formats=("csv",), per_field=True)
    )
    fields = stats.fields_in_range(sup.store, START, END)
    assert len(result.files) == len(fields) > 1
    total = 0
    for field, f in zip(fields, result.files, strict=True):
        assert f.path.name.endswith(f"_{exports.slug(field)}.csv")
        _, body = read_csv_rows(f.path)
        assert [r[1] for r in body] == [r[1] for r in expected_book(sup, START, END, field)]
        total += len(body)
    assert total == len(expected_book(sup, START, END))

    one = exports.export(sup, exports.ExportRequest(START, END, tmp_path / "one", field="Hộ tịch"))
    assert {f.path.name for f in one.files} == {
        "so-theo-doi-ho-so_2026-11-16_2026-11-26_ho-tich.csv",
        "so-theo-doi-ho-so_2026-11-16_2026-11-26_ho-tich.xlsx",
    }
    xlsx = next(f.path for f in one.files if f.path.suffix == ".xlsx")
    assert [r[1] for r in read_xlsx_rows(xlsx)] == [
        r[1] for r in expected_book(sup, START, END, "Hộ tịch")
    ]


def test_exports_are_reproducible(sup: Desk, clock: FrozenClock, tmp_path: Path) -> None:
    """Same store, same range: same CSV bytes, same XLSX bytes (and so the same cells)."""
    first = exports.export(sup, exports.ExportRequest(START, END, tmp_path / "a"))
    clock.now += timedelta(minutes=7)
    second = exports.export(sup, exports.ExportRequest(START, END, tmp_path / "b"))
    for a, b in zip(first.files, second.files, strict=True):
        assert a.path.name == b.path.name
        assert a.path.read_bytes() == b.path.read_bytes(), a.path.name
        assert a.sha256 == b.sha256
    xa = next(f.path for f in first.files if f.path.suffix == ".xlsx")
    xb = next(f.path for f in second.files if f.path.suffix == ".xlsx")
    assert read_xlsx_rows(xa) == read_xlsx_rows(xb)
    stats_a = exports.export(sup, exports.ExportRequest(START, END, tmp_path / "a", kind="stats"))
    stats_b = exports.export(sup, exports.ExportRequest(START, END, tmp_path / "b", kind="stats"))
    for a, b in zip(stats_a.files, stats_b.files, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes(), a.path.name
    # The manifests differ only in when they were made.
    ma, mb = signing.read_manifest(first.manifest), signing.read_manifest(second.manifest)
    assert ma["exported_at"] != mb["exported_at"]
    assert [f["sha256"] for f in ma["files"]] == [f["sha256"] for f in mb["files"]]


def test_each_export_is_audited_and_signed(sup: Desk, tmp_path: Path) -> None:
    result = exports.export(sup, exports.ExportRequest(END, END, tmp_path))
    action, username, details = sup.store.conn.execute(
        "SELECT action, username, details FROM audit ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert action == "export.book" and username == "giamsat"
    for f in result.files:
        assert f.sha256 in details
    manifest = signing.read_manifest(result.manifest)
    assert manifest["range"] == {"start": "2026-11-26", "end": "2026-11-26"}
    assert manifest["exported_by"]["username"] == "giamsat"
    assert manifest["exported_at"] == "2026-11-26T09:30:00+07:00"
    assert manifest["device_id"] == sup.device_id
    assert manifest["public_key"] == signing.stored_public_key(sup.store)
    assert manifest["audit_entry"]["id"] == result.audit_id
    assert {f["name"] for f in manifest["files"]} == {f.path.name for f in result.files}
    assert signing.verify_export(result.manifest, [manifest["public_key"]]) == []


def test_officers_without_the_supervisor_role_cannot_export(desk: Desk, tmp_path: Path) -> None:
    out = tmp_path / "out"
    request = exports.ExportRequest(END, END, out)
    with pytest.raises(AuthError):
        exports.export(desk, request)
    desk.login("canbo", "1234")
    before = desk.store.conn.execute("SELECT max(id) FROM audit").fetchone()[0]
    with pytest.raises(AuthError, match="lãnh đạo"):
        exports.export(desk, request)
    assert not out.exists()
    # Nothing is written but the refusal itself, in the audit trail (issue 14).
    added = desk.store.conn.execute(
        "SELECT action, username, object FROM audit WHERE id > ?", (before,)
    ).fetchall()
    assert added == [("access.refused", "canbo", "export.book")]


def test_bad_requests_change_nothing(sup: Desk, tmp_path: Path) -> None:
    for bad in (
        exports.ExportRequest(END, START, tmp_path / "x"),
        exports.ExportRequest(START, END, tmp_path / "x", formats=("pdf",)),
        exports.ExportRequest(START, END, tmp_path / "x", kind="everything"),
        exports.ExportRequest(START, END, tmp_path / "x", field="Hộ tịch", per_field=True),
        exports.ExportRequest(START, END, tmp_path / "x", kind="queue"),  # no queue data
    ):
        with pytest.raises(InvalidInput):
            exports.export(sup, bad)
    assert not list((tmp_path / "x").glob("*.csv")) if (tmp_path / "x").exists() else True


def test_statistics_workbook_matches_the_figures(sup: Desk, tmp_path: Path) -> None:
    result = exports.export(sup, exports.ExportRequest(START, END, tmp_path, kind="stats"))
    xlsx = next(f.path for f in result.files if f.path.suffix == ".xlsx")
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["Tổng hợp", "Theo ngày", "Theo cán bộ", "Theo quầy", "Theo lĩnh vực"]
    figures = stats.range_figures(sup, START, END)
    summary = {r[0]: r[1] for r in wb["Tổng hợp"].iter_rows(min_row=4, values_only=True)}
    for f in exports.RANGE_FIGURES:
        assert summary[f.vi] == figures.counts[f.key], f.key
    assert summary[exports.RATE_HEADER] == pytest.approx(figures.on_time_rate, abs=1e-4)
    assert summary["Hàng đợi"] == stats.NO_QUEUE_DATA
    days = list(wb["Theo ngày"].iter_rows(min_row=4, values_only=True))
    assert len(days) == (END - START).days + 1
    assert sum(r[1] for r in days) == figures.counts["received"]
    by_field = {r[0]: r[1] for r in wb["Theo lĩnh vực"].iter_rows(min_row=4, values_only=True)}
    assert by_field == {g.label: g.counts["received"] for g in figures.groups["field"]}
    wb.close()
    csv_path = next(f.path for f in result.files if f.path.suffix == ".csv")
    header, body = read_csv_rows(csv_path)
    assert header[0] == "Ngày" and len(body) == len(days)
    assert [int(r[1]) for r in body] == [r[1] for r in days]


def test_queue_log_from_a_provider(sup: Desk, tmp_path: Path) -> None:
    issued = datetime(2026, 11, 26, 8, 1, tzinfo=VN_TZ)
    log: list[dict[str, Any]] = [
        {"ticket": "A001", "area": "Hộ tịch", "issued_at": issued, "counter_no": 3},
        {"ticket": "A002", "area": "Hộ tịch", "issued_at": issued.isoformat(), "status": "vắng"},
    ]
    result = exports.export(
        sup,
        exports.ExportRequest(END, END, tmp_path, kind="queue"),
        queue_log=lambda start, end: iter(log),
    )
    header, body = read_csv_rows(next(f.path for f in result.files if f.path.suffix == ".csv"))
    assert header[0] == "Số thứ tự"
    assert [r[0] for r in body] == ["A001", "A002"]
    assert body[0][3] == "26/11/2026 08:01" == body[1][3]
    xlsx = next(f.path for f in result.files if f.path.suffix == ".xlsx")
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    rows = list(wb.worksheets[0].iter_rows(min_row=4, values_only=True))
    assert rows[0][:4] == ("A001", "Hộ tịch", None, datetime(2026, 11, 26, 8, 1))


def test_cli_export_for_scheduled_jobs(
    sup: Desk, config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    args = parser.parse_args(
        [
            *("--from", "16/11/2026", "--to", "2026-11-26", "--format", "csv"),
            *("--user", "giamsat", "--out", str(tmp_path / "cli")),
        ]
    )
    monkeypatch.setenv("COUNTER_PIN", "5678")
    text = run_export_command(config, args, clock=FrozenClock())
    assert "so-theo-doi-ho-so_2026-11-16_2026-11-26.csv" in text and "Bản kê:" in text
    monkeypatch.setenv("COUNTER_PIN", "1234")
    officer = parser.parse_args(["--user", "canbo", "--out", str(tmp_path / "no")])
    with pytest.raises(AuthError):
        run_export_command(config, officer, clock=FrozenClock())
    assert not (tmp_path / "no").exists()
    monkeypatch.delenv("COUNTER_PIN")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(AuthError, match="COUNTER_PIN"):
        run_export_command(config, args, clock=FrozenClock())


def test_cli_dates() -> None:
    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    today = date(2026, 11, 26)

    def rng(*argv: str) -> tuple[date, date]:
        return resolve_range(parser.parse_args([*argv, "--user", "x"]), today)

    assert rng() == (today, today)
    assert rng("--date", "yesterday") == (date(2026, 11, 25),) * 2
    assert rng("--month", "last") == (date(2026, 10, 1), date(2026, 10, 31))
    assert rng("--month", "2026-02") == (date(2026, 2, 1), date(2026, 2, 28))
    assert rng("--month", "this") == (date(2026, 11, 1), today)
    with pytest.raises(InvalidInput):
        rng("--date", "31/02/2026")


def _peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@pytest.mark.slow
def test_fifty_thousand_dossiers_export_in_bounded_memory(desk: Desk, tmp_path: Path) -> None:
    """CSV under tracemalloc (Python allocations); XLSX by peak RSS (tracemalloc would make
    openpyxl's per-cell work several times slower)."""
    supervisor_id = desk.store.conn.execute(
        "SELECT id FROM officers WHERE username = 'giamsat'"
    ).fetchone()[0]
    insert_bulk_dossiers(desk.store, 50_000, date(2026, 11, 1), 25, officer_id=supervisor_id)
    desk.login("giamsat", "5678")
    month = (date(2026, 11, 1), date(2026, 11, 30))
    tracemalloc.start()
    try:
        result = exports.export(desk, exports.ExportRequest(*month, tmp_path, formats=("csv",)))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 150 * 2**20, f"CSV: Python peak {peak / 2**20:.0f} MB"
    with result.files[0].path.open(encoding="utf-8-sig", newline="") as fh:
        assert sum(1 for _ in csv.reader(fh)) == 50_001

    Path("/proc/self/clear_refs").write_text("5")  # reset the peak RSS to the current RSS
    base = _peak_rss_mb()
    result = exports.export(desk, exports.ExportRequest(*month, tmp_path, formats=("xlsx",)))
    growth = _peak_rss_mb() - base
    assert growth < 150, f"XLSX: peak RSS grew by {growth:.0f} MB"
    wb = openpyxl.load_workbook(result.files[0].path, read_only=True)
    last = None
    count = 0
    for row in wb.worksheets[0].iter_rows(min_row=exports.BOOK_FIRST_DATA_ROW, values_only=True):
        count += 1
        last = row
    wb.close()
    assert count == 50_000 and last is not None and last[0] == 50_000


def test_queue_log_export_in_hub_mode_reads_the_hub(
    sup: Desk, tmp_path: Path, clock: FrozenClock
) -> None:
    """With `[queue] hub_url` set the export holds the centre's tickets; with the hub down it
    fails with the reason and writes no file and no audit entry."""
    from counter.queue import QueueSettings
    from counter.queue_client import HubQueue, HubUnavailable
    from counter.queue_reports import log_provider
    from portal.hub.app import Hub, create_app
    from portal.hub.server import serve_in_thread

    settings = QueueSettings()
    running = serve_in_thread(create_app(Hub(tmp_path / "hub.sqlite3", settings, clock=clock)))
    try:
        kiosk = HubQueue(running.url, settings, counter_no=9)
        counter2 = HubQueue(running.url, settings, counter_no=2)
        kiosk.issue("A")
        kiosk.issue("B")
        assert counter2.call_next() is not None
        result = exports.export(
            sup,
            exports.ExportRequest(END, END, tmp_path / "ok", kind="queue"),
            queue_log=log_provider(counter2),
        )
        _, body = read_csv_rows(next(f.path for f in result.files if f.path.suffix == ".csv"))
        assert [r[0] for r in body] == ["A001", "B001"]
        assert "2" in body[0]  # called to counter 2
        kiosk.close()
        counter2.close()
    finally:
        running.stop()
    audits = sup.store.conn.execute("SELECT count(*) FROM audit").fetchone()[0]
    down = HubQueue(running.url, settings, counter_no=2, timeout=0.5)
    with pytest.raises(HubUnavailable):
        exports.export(
            sup,
            exports.ExportRequest(END, END, tmp_path / "down", kind="queue"),
            queue_log=log_provider(down),
        )
    down.close()
    assert not any((tmp_path / "down").glob("*.csv"))
    assert not any((tmp_path / "down").glob("*.xlsx"))
    assert sup.store.conn.execute("SELECT count(*) FROM audit").fetchone()[0] == audits


def test_book_xlsx_writes_every_text_as_text(tmp_path: Path) -> None:
    """The class, not one case: whatever a text cell holds (a formula, a number-looking ID,
    a link, a DDE lead), the book stores it as a string, never a formula, number or URL."""
    hostile = [
        '=HYPERLINK("http://evil.example","bấm")',
        "+84912345678",
        "-2+3",
        "@SUM(A1:A2)",
        "001090012345",
        "http://evil.example/x",
        "1e5",
        "\uff1dcmd|' /C calc'!A0",
    ]
    rows = []
    for n, text in enumerate(hostile, start=1):
        row: list[Any] = [n] + [text] * (len(exports.BOOK_COLUMNS) - 1)
        for i, col in enumerate(exports.BOOK_COLUMNS):
            if col.date:
                row[i] = datetime(2026, 11, 26, 8, n)
        rows.append(row)
    path = tmp_path / "book.xlsx"
    count = exports.write_book_xlsx(path, rows, agency="=1+1", field="@x", start=END, end=END)
    assert count == len(hostile)
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet and "<hyperlink" not in sheet
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert ws["A1"].value == "=1+1" and ws["A1"].data_type == "s"
    for r, text in enumerate(hostile, start=exports.BOOK_FIRST_DATA_ROW):
        values = [c for c in ws[r]]
        assert values[0].value == r - exports.BOOK_FIRST_DATA_ROW + 1
        for i, col in enumerate(exports.BOOK_COLUMNS[1:], start=1):
            cell = values[i]
            if col.date:
                assert cell.is_date
            else:
                assert cell.data_type == "s" and cell.value == text, (r, i, cell.value)
