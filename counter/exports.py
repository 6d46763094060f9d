"""Supervisor exports: Sổ theo dõi hồ sơ (Mẫu 07), the statistics workbook, the queue log.

- **Bounded memory.** Rows stream from one SQLite cursor straight into the file: the CSV
  through `csv.writer`, the XLSX through openpyxl's write-only mode (rows go to a temporary
  file as they come). Nothing holds the range in memory, whatever its size.
- **Reproducible.** Rows are sorted (received_at, code); nothing depends on the wall clock:
  the workbook's created/modified properties come from the range and every part of the XLSX
  zip carries a fixed timestamp, so the same store and range give the same bytes.
- **Inert.** No cell can become a formula, whatever a citizen, the back office or the queue
  hub typed: XLSX text cells are written as text (never `<f>`), CSV cells that a spreadsheet
  would read as a formula get OWASP's leading `'` (`neutralise_formula`). The manifest hashes
  the bytes as written. Files are owner-only (0600).
- **Accountable.** Only a supervisor may export; each export writes an audit entry and a
  manifest signed with the device's Ed25519 key (`counter.signing`).

openpyxl is imported inside the functions that write workbooks: it pulls in Pillow when
present, and the core must not load it on import (tests/test_architecture.py).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counter import audit, signing, stats
from counter.auth import require_supervisor
from counter.catalogue import delivery_label
from counter.errors import InvalidInput
from counter.lifecycle import STATUSES
from counter.private import private_file, tighten
from counter.store import Store
from counter.text import fold
from counter.timeutil import VN_TZ, iso, parse_iso
from counter.worktime import WorkCalendar

if TYPE_CHECKING:
    from counter.desk import Desk

Progress = Callable[[int, int], None]

KINDS = {
    "book": ("Sổ theo dõi hồ sơ (Mẫu 07)", "Register book (form 07)"),
    "stats": ("Thống kê", "Statistics"),
    "queue": ("Nhật ký hàng đợi", "Queue log"),
}
FORMATS = ("xlsx", "csv")
FORM_NUMBER = "07"
BOOK_TITLE = "SỔ THEO DÕI HỒ SƠ"
GROUP_HEADER = "Nhận và trả kết quả"
ALL_FIELDS = "Tất cả lĩnh vực"
PROGRESS_EVERY = 500
DATE_FORMAT = "dd/mm/yyyy hh:mm"
# Every zip member gets this timestamp (the zip format's epoch): the bytes never vary.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    group: str = ""  # the grouped header above it ("Nhận và trả kết quả"), if any
    date: bool = False


BOOK_COLUMNS: tuple[Column, ...] = (
    Column("STT", 6),
    Column("Mã hồ sơ", 27),
    Column("Tên TTHC", 40),
    Column("Tên tổ chức, cá nhân", 28),
    Column("Địa chỉ, số điện thoại", 36),
    Column("Cơ quan chủ trì giải quyết", 28),
    Column("Nhận hồ sơ", 17, GROUP_HEADER, date=True),
    Column("Hẹn trả kết quả", 17, GROUP_HEADER, date=True),
    Column("Trả kết quả", 17, GROUP_HEADER, date=True),
    Column("Phương thức nhận kết quả", 22, GROUP_HEADER),
    Column("Ký nhận", 22, GROUP_HEADER),
    Column("Ghi chú", 30),
)
BOOK_HEADERS = tuple(c.header for c in BOOK_COLUMNS)
# Rows of the XLSX book: agency, title, range, two header rows, column numbers, then data.
BOOK_HEADER_ROWS = 6
BOOK_FIRST_DATA_ROW = BOOK_HEADER_ROWS + 1

TIMELINESS_VI = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}

QUEUE_LOG_COLUMNS: tuple[tuple[str, str], ...] = (
    ("ticket", "Số thứ tự"),
    ("area", "Khu vực / lĩnh vực"),
    ("priority", "Ưu tiên"),
    ("issued_at", "Giờ lấy số"),
    ("called_at", "Giờ gọi"),
    ("counter_no", "Quầy"),
    ("served_at", "Bắt đầu phục vụ"),
    ("finished_at", "Kết thúc"),
    ("status", "Trạng thái"),
    ("dossier_code", "Mã hồ sơ"),
)


@dataclass(frozen=True)
class ExportRequest:
    """What to export. `field` = one lĩnh vực; `per_field` = one book per lĩnh vực."""

    start: date
    end: date
    out_dir: Path
    kind: str = "book"
    formats: tuple[str, ...] = FORMATS
    field: str | None = None
    per_field: bool = False


@dataclass(frozen=True)
class ExportedFile:
    path: Path
    rows: int
    sha256: str


@dataclass(frozen=True)
class ExportResult:
    files: list[ExportedFile]
    manifest: Path
    signature: Path
    rows: int
    audit_id: int


# -- names -------------------------------------------------------------------------------


def slug(text: str) -> str:
    """ASCII file-name part of a lĩnh vực: 'Hộ tịch' → 'ho-tich'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-") or "khac"


def range_label(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}_{end.isoformat()}"


def range_text(start: date, end: date) -> str:
    if start == end:
        return f"Ngày {start:%d/%m/%Y}"
    return f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}"


_BASENAMES = {"book": "so-theo-doi-ho-so", "stats": "thong-ke", "queue": "nhat-ky-hang-doi"}


def base_name(request: ExportRequest) -> str:
    name = f"{_BASENAMES[request.kind]}_{range_label(request.start, request.end)}"
    if request.kind == "book" and request.field:
        name += f"_{slug(request.field)}"
    return name


# -- the book rows ------------------------------------------------------------------------

_BOOK_SELECT = (
    "SELECT code, procedure_code, procedure_name, applicant_name, applicant_address, "
    "applicant_phone, representative_name, received_at, due_at, finished_at, returned_at, "
    "returned_to, delivery, status, closed_reason FROM dossiers "
    "WHERE received_at >= ? AND received_at < ?"
)


def _naive_vn(text: str | None) -> datetime | None:
    """Stored ISO → naive Vietnam wall time (Excel has no time zones)."""
    return parse_iso(text).replace(tzinfo=None) if text else None


def _note(status: str, finished: str | None, due: str, reason: str) -> str:
    label = STATUSES[status].vi if status in STATUSES else status
    if status in stats.RESOLVED and finished:
        done_day, due_day = finished[:10], due[:10]
        key = "early" if done_day < due_day else "on_time" if done_day == due_day else "late"
        return f"{label}; {TIMELINESS_VI[key].lower()}"
    if reason:
        return f"{label}: {reason}"
    return label


def book_rows(
    store: Store,
    agencies: Mapping[str, str],
    start: date,
    end: date,
    field: str | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Mẫu 07 rows in book order, one at a time; dates as naive Vietnam datetimes."""
    lo, hi = stats.day_bounds(start, end)
    sql = _BOOK_SELECT
    params: list[Any] = [lo, hi]
    if field is not None:
        sql += " AND field = ?"
        params.append(field)
    sql += " ORDER BY received_at, code"
    for n, row in enumerate(store.conn.execute(sql, params), start=1):
        (
            code,
            procedure_code,
            procedure_name,
            name,
            address,
            phone,
            rep,
            received,
            due,
            finished,
            returned,
            returned_to,
            delivery,
            status,
            reason,
        ) = row
        who = f"{name} (người đại diện: {rep})" if rep else name
        contact = "; ".join(p for p in (address, f"ĐT: {phone}" if phone else "") if p)
        yield (
            n,
            code,
            procedure_name,
            who,
            contact,
            agencies.get(procedure_code, ""),
            _naive_vn(received),
            _naive_vn(due),
            _naive_vn(returned),
            delivery_label(delivery),
            returned_to,
            _note(status, finished, due, reason),
        )


def count_book_rows(store: Store, start: date, end: date, field: str | None = None) -> int:
    lo, hi = stats.day_bounds(start, end)
    sql = "SELECT count(*) FROM dossiers WHERE received_at >= ? AND received_at < ?"
    params: list[Any] = [lo, hi]
    if field is not None:
        sql += " AND field = ?"
        params.append(field)
    return int(store.conn.execute(sql, params).fetchone()[0])


# What makes a spreadsheet (Excel, LibreOffice, Google Sheets) read a cell as a formula or a
# DDE command when it leads the cell (OWASP "CSV Injection"), with the full-width forms some
# input methods type and spreadsheets fold to ASCII.
FORMULA_LEADS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")


def neutralise_formula(text: str) -> str:
    """`text`, with a leading `'` when a spreadsheet would take it as a formula (OWASP).

    Leading spaces do not hide a formula from every spreadsheet, so they are looked through.
    """
    stripped = text.lstrip(" \u00a0\u3000")
    if stripped and stripped[0] in FORMULA_LEADS:
        return "'" + text
    return text


def csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y %H:%M}"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(str(value))


def _as_text(cell: Any) -> Any:
    """Keep a text cell text: openpyxl turns any string starting with "=" into a formula."""
    if isinstance(cell.value, str):
        cell.data_type = "s"
    return cell


# -- writers -----------------------------------------------------------------------------


class _Counter:
    """Counts rows through a generator and reports progress every few hundred."""

    def __init__(self, total: int, on_progress: Progress | None, done: int = 0):
        self.total = total
        self.done = done
        self.on_progress = on_progress

    def wrap(self, rows: Iterable[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        for row in rows:
            yield row
            self.done += 1
            if self.on_progress is not None and self.done % PROGRESS_EVERY == 0:
                self.on_progress(self.done, self.total)


def write_csv(path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly), CRLF lines, one header row."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        private_file(path)
        writer = csv.writer(fh)
        writer.writerow([csv_value(h) for h in headers])
        for row in rows:
            writer.writerow([csv_value(v) for v in row])
            count += 1
    return count


class _FixedTimeZip(zipfile.ZipFile):
    """A zip whose every member carries the same timestamp, so equal contents give equal bytes.

    openpyxl stamps each member with the time of writing; its ExcelWriter accepts any archive,
    so this one is handed in instead (and `save_workbook`, which sets `modified` to now, is not
    used).
    """

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        setattr(info, "_compresslevel", self.compresslevel)  # noqa: B010 (private in 3.11)
        return info

    def writestr(  # type: ignore[override]
        self, zinfo_or_arcname: str | zipfile.ZipInfo, data: bytes | str, *args: Any, **kw: Any
    ) -> None:
        name = (
            zinfo_or_arcname.filename
            if isinstance(zinfo_or_arcname, zipfile.ZipInfo)
            else zinfo_or_arcname
        )
        super().writestr(self._info(name), data)

    def write(  # type: ignore[override]
        self, filename: str | os.PathLike[str], arcname: str | None = None, *args: Any, **kw: Any
    ) -> None:
        info = self._info(arcname or os.fspath(filename))
        with open(filename, "rb") as src, self.open(info, "w", force_zip64=True) as dest:
            shutil.copyfileobj(src, dest, 1 << 20)


def save_workbook(wb: Any, dest: Path, start: date, end: date) -> None:
    """Save with fixed document dates (from the range) and fixed zip timestamps, atomically."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = "counter"
    wb.properties.created = datetime.combine(start, time(0, 0))
    wb.properties.modified = datetime.combine(end, time(23, 59, 59))
    fd, tmp_name = tempfile.mkstemp(suffix=".xlsx.part", dir=dest.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        archive = _FixedTimeZip(tmp, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=1)
        ExcelWriter(wb, archive).save()
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


class _Styles:
    """Shared openpyxl style objects (created once: styling per cell is what costs time)."""

    def __init__(self) -> None:
        from openpyxl.styles import Alignment, Border, Font, Side

        thin = Side(style="thin")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(bold=True, size=14)
        self.bold = Font(bold=True)
        self.italic = Font(italic=True)
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.wrap = Alignment(vertical="top", wrap_text=True)


def _page_setup(ws: Any, title_rows: str, last_col: str) -> None:
    """A4 landscape, fit to one page wide, header rows repeated on each printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "Trang &P / &N"


def _cell(ws: Any, value: Any, font: Any = None, alignment: Any = None, border: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    c = _as_text(WriteOnlyCell(ws, value=value))
    if font is not None:
        c.font = font
    if alignment is not None:
        c.alignment = alignment
    if border is not None:
        c.border = border
    return c


def write_book_xlsx(
    path: Path,
    rows: Iterable[Sequence[Any]],
    *,
    agency: str,
    field: str | None,
    start: date,
    end: date,
) -> int:
    """The Mẫu 07 book laid out like the form; returns the number of data rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    st = _Styles()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sổ theo dõi hồ sơ")
    ncols = len(BOOK_COLUMNS)
    last = get_column_letter(ncols)
    for i, col in enumerate(BOOK_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.freeze_panes = f"C{BOOK_FIRST_DATA_ROW}"
    _page_setup(ws, f"4:{BOOK_HEADER_ROWS}", last)

    def banner(text: str, font: Any) -> list[Any]:
        return [_cell(ws, text, font, st.center)] + [None] * (ncols - 1)

    ws.append(banner(agency, st.bold))
    ws.append(banner(f"{BOOK_TITLE} (Mẫu số {FORM_NUMBER})", st.title))
    ws.append(banner(f"Lĩnh vực: {field or ALL_FIELDS} — {range_text(start, end)}", st.italic))
    for r in (1, 2, 3):
        ws.merged_cells.add(f"A{r}:{last}{r}")
    # Two header rows: the grouped columns share "Nhận và trả kết quả" above them.
    top: list[Any] = []
    sub: list[Any] = []
    for i, col in enumerate(BOOK_COLUMNS, start=1):
        letter = get_column_letter(i)
        if col.group:
            top.append(_cell(ws, col.group, st.bold, st.center, st.border))
            sub.append(_cell(ws, col.header, st.bold, st.center, st.border))
        else:
            top.append(_cell(ws, col.header, st.bold, st.center, st.border))
            sub.append(_cell(ws, None, st.bold, st.center, st.border))
            ws.merged_cells.add(f"{letter}4:{letter}5")
    grouped = [i for i, c in enumerate(BOOK_COLUMNS, start=1) if c.group]
    ws.merged_cells.add(f"{get_column_letter(grouped[0])}4:{get_column_letter(grouped[-1])}4")
    ws.append(top)
    ws.append(sub)
    ws.append([_cell(ws, f"({i})", st.italic, st.center, st.border) for i in range(1, ncols + 1)])
    # One styled template cell per column, refilled each row (write-only cells are consumed).
    templates = []
    for col in BOOK_COLUMNS:
        c = WriteOnlyCell(ws)
        c.alignment = st.wrap
        c.border = st.border
        if col.date:
            c.number_format = DATE_FORMAT
        templates.append(c)
    count = 0
    for row in rows:
        for cell, value in zip(templates, row, strict=True):
            cell.value = None if value == "" else value
            _as_text(cell)
        ws.append(templates)
        count += 1
    save_workbook(wb, path, start, end)
    return count


def write_table_xlsx(
    path: Path,
    sheets: Sequence[tuple[str, str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    agency: str,
    start: date,
    end: date,
    widths: Mapping[str, float] | None = None,
) -> None:
    """A plain workbook of tables: (sheet name, title, headers, rows) per sheet."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    st = _Styles()
    wb = Workbook(write_only=True)
    for name, title, headers, rows in sheets:
        ws = wb.create_sheet(name)
        for i, header in enumerate(headers, start=1):
            width = (widths or {}).get(header, max(12.0, min(40.0, len(header) + 4.0)))
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A4"
        _page_setup(ws, "3:3", get_column_letter(len(headers)))
        ws.append([_cell(ws, agency, st.bold)])
        ws.append([_cell(ws, f"{title} — {range_text(start, end)}", st.title)])
        ws.append([_cell(ws, h, st.bold, st.center, st.border) for h in headers])
        for row in rows:
            cells = []
            for value in row:
                c = _as_text(WriteOnlyCell(ws, value=value))
                c.border = st.border
                if isinstance(value, datetime):
                    c.number_format = DATE_FORMAT
                elif isinstance(value, float):
                    c.number_format = "0.0%"
                cells.append(c)
            ws.append(cells)
    save_workbook(wb, path, start, end)


# -- statistics -----------------------------------------------------------------------------

RANGE_FIGURES = tuple(f for f in stats.FIGURES if not f.snapshot)
RATE_HEADER = "Tỷ lệ trước hạn và đúng hạn"


def _rate_value(rate: float | None) -> float | str:
    return "" if rate is None else round(rate, 4)


def stats_tables(
    store: Store,
    calendar: WorkCalendar,
    start: date,
    end: date,
    as_of: datetime,
    queue: stats.QueueFiguresProvider | None = None,
) -> list[tuple[str, str, list[str], list[list[Any]]]]:
    """The statistics workbook's tables; small (one row per day / officer / counter / field)."""
    keys = [f.key for f in RANGE_FIGURES]
    labels = [f.vi for f in RANGE_FIGURES]
    whole = stats.compute_figures(store, calendar, start, end, as_of, queue=queue)
    summary: list[list[Any]] = [[f.vi, whole.counts[f.key]] for f in RANGE_FIGURES]
    summary.append([RATE_HEADER, _rate_value(whole.on_time_rate)])
    if whole.queue is not None:
        q = whole.queue
        summary += [
            ["Số thứ tự đã cấp", q.issued],
            ["Đã phục vụ", q.served],
            ["Vắng mặt khi gọi", q.no_shows],
            ["Thời gian chờ trung bình (phút)", q.average_wait_minutes or ""],
            ["Thời gian phục vụ trung bình (phút)", q.average_service_minutes or ""],
        ]
    else:
        summary.append(["Hàng đợi", stats.NO_QUEUE_DATA])
    by_day: list[list[Any]] = []
    day = start
    while day <= end:
        f = stats.compute_figures(store, calendar, day, day, as_of, groups=())
        by_day.append(
            [f"{day:%d/%m/%Y}", *(f.counts[k] for k in keys), _rate_value(f.on_time_rate)]
        )
        day += timedelta(days=1)
    tables: list[tuple[str, str, list[str], list[list[Any]]]] = [
        ("Tổng hợp", "Tổng hợp", ["Chỉ tiêu", "Số hồ sơ"], summary),
        ("Theo ngày", "Theo ngày", ["Ngày", *labels, RATE_HEADER], by_day),
    ]
    for dim, sheet in (
        ("officer", "Theo cán bộ"),
        ("counter", "Theo quầy"),
        ("field", "Theo lĩnh vực"),
    ):
        head = stats.DIMENSIONS[dim][0]
        rows = [
            [g.label, *(g.counts[k] for k in keys), _rate_value(g.on_time_rate)]
            for g in whole.groups[dim]
        ]
        tables.append((sheet, sheet, [head, *labels, RATE_HEADER], rows))
    return tables


# -- the service ------------------------------------------------------------------------


def _check_request(request: ExportRequest, desk: Desk) -> None:
    if request.kind not in KINDS:
        raise InvalidInput("kind", f"Loại xuất không hợp lệ: {request.kind}")
    if not request.formats or any(f not in FORMATS for f in request.formats):
        raise InvalidInput(
            "format", "Định dạng phải là xlsx và/hoặc csv", "Format: xlsx and/or csv"
        )
    if request.end < request.start:
        raise InvalidInput(
            "end", "Ngày kết thúc phải sau ngày bắt đầu", "The end date is before the start"
        )
    if (request.end - request.start).days > 366:
        raise InvalidInput("end", "Mỗi lần xuất tối đa 1 năm", "At most one year per export")
    if request.field is not None and request.per_field:
        raise InvalidInput("field", "Chọn một lĩnh vực hoặc mỗi lĩnh vực một sổ, không cả hai")


def export(
    desk: Desk,
    request: ExportRequest,
    *,
    on_progress: Progress | None = None,
    queue_figures: stats.QueueFiguresProvider | None = None,
    queue_log: stats.QueueLogProvider | None = None,
    separate_connection: bool = False,
) -> ExportResult:
    """Write the files, audit the export, sign the manifest. Supervisor only.

    `separate_connection` opens a second connection to the same store (for a worker thread
    while the UI keeps using the desk's own).
    """
    officer = require_supervisor(desk.officer)
    _check_request(request, desk)
    out = Path(request.out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise InvalidInput("out_dir", f"Không tạo được thư mục {out}: {exc.strerror}") from None
    store = Store(desk.store.path) if separate_connection else desk.store
    try:
        files = _write_files(desk, store, request, out, on_progress, queue_figures, queue_log)
        now = desk.now()
        entries = [signing.file_entry(f.path, f.rows) for f in files]
        with store.write() as db:
            audit.record(
                db,
                at=iso(now),
                action=f"export.{request.kind}",
                officer_id=officer.id,
                username=officer.username,
                obj=base_name(request),
                details={
                    "start": request.start.isoformat(),
                    "end": request.end.isoformat(),
                    "field": request.field,
                    "per_field": request.per_field,
                    "files": {e["name"]: e["sha256"] for e in entries},
                },
            )
            audit_id, audit_hash = db.conn.execute(
                "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1"
            ).fetchone()
        manifest = {
            "kind": request.kind,
            "title": KINDS[request.kind][0],
            "range": {"start": request.start.isoformat(), "end": request.end.isoformat()},
            "field": request.field,
            "per_field": request.per_field,
            "files": entries,
            "exported_by": {
                "officer_id": officer.id,
                "username": officer.username,
                "full_name": officer.full_name,
            },
            "exported_at": iso(now),
            "agency": {"code": desk.config.agency.code, "name": desk.config.agency.name},
            "counter_no": desk.config.counter.number,
            "device_id": desk.device_id,
            "audit_entry": {"id": int(audit_id), "hash": str(audit_hash)},
        }
        manifest_path, sig_path = signing.write_signed_manifest(
            store, out / (base_name(request) + signing.MANIFEST_SUFFIX), manifest
        )
    finally:
        if separate_connection:
            store.close()
    for written in (*(f.path for f in files), manifest_path, sig_path):
        tighten(written)
    total = sum(f.rows for f in files)
    if on_progress is not None:
        on_progress(total, total)
    return ExportResult(files, manifest_path, sig_path, total, int(audit_id))


def _write_files(
    desk: Desk,
    store: Store,
    request: ExportRequest,
    out: Path,
    on_progress: Progress | None,
    queue_figures: stats.QueueFiguresProvider | None,
    queue_log: stats.QueueLogProvider | None,
) -> list[ExportedFile]:
    agency = desk.config.agency.centre or desk.config.agency.name
    written: list[tuple[Path, int]] = []
    if request.kind == "book":
        agencies = {p.code: p.deciding_agency for p in desk.catalogue}
        if request.per_field:
            books: list[str | None] = list(stats.fields_in_range(store, request.start, request.end))
        else:
            books = [request.field]
        total = sum(count_book_rows(store, request.start, request.end, f) for f in books)
        total *= len(request.formats)
        counter = _Counter(total, on_progress)
        if on_progress is not None:
            on_progress(0, total)
        for book in books:
            name = f"{_BASENAMES['book']}_{range_label(request.start, request.end)}"
            if book is not None:
                name += f"_{slug(book)}"
            for fmt in request.formats:
                path = out / f"{name}.{fmt}"
                rows = counter.wrap(book_rows(store, agencies, request.start, request.end, book))
                if fmt == "csv":
                    n = write_csv(path, BOOK_HEADERS, rows)
                else:
                    n = write_book_xlsx(
                        path, rows, agency=agency, field=book, start=request.start, end=request.end
                    )
                written.append((path, n))
    elif request.kind == "stats":
        as_of = min(desk.now(), datetime.combine(request.end, time(23, 59, 59), tzinfo=VN_TZ))
        tables = stats_tables(
            store, desk.calendar, request.start, request.end, as_of, queue_figures
        )
        name = base_name(request)
        if "xlsx" in request.formats:
            path = out / f"{name}.xlsx"
            write_table_xlsx(path, tables, agency=agency, start=request.start, end=request.end)
            written.append((path, sum(len(t[3]) for t in tables)))
        if "csv" in request.formats:
            _, _, day_headers, day_rows = tables[1]  # by day: what a spreadsheet user charts
            path = out / f"{name}_theo-ngay.csv"
            written.append((path, write_csv(path, day_headers, day_rows)))
    else:
        if queue_log is None:
            raise InvalidInput("kind", f"Không xuất được nhật ký hàng đợi: {stats.NO_QUEUE_DATA}")
        headers = [h for _, h in QUEUE_LOG_COLUMNS]
        name = base_name(request)
        for fmt in request.formats:
            path = out / f"{name}.{fmt}"
            log_rows = (
                [_queue_value(r.get(k)) for k, _ in QUEUE_LOG_COLUMNS]
                for r in queue_log(request.start, request.end)
            )
            counter = _Counter(0, on_progress)
            if fmt == "csv":
                n = write_csv(path, headers, counter.wrap(log_rows))
            else:
                counted = list(counter.wrap(log_rows))
                write_table_xlsx(
                    path,
                    [("Nhật ký hàng đợi", "Nhật ký hàng đợi", headers, counted)],
                    agency=agency,
                    start=request.start,
                    end=request.end,
                )
                n = len(counted)
            written.append((path, n))
    return [ExportedFile(p, n, signing.sha256_file(p)) for p, n in written]


def _queue_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(VN_TZ).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, str) and len(value) >= 19 and value[10:11] == "T":
        try:
            return parse_iso(value).replace(tzinfo=None)
        except ValueError:
            return value
    if isinstance(value, bool):
        return "Có" if value else ""
    return "" if value is None else value
