"""Supervisor exports: Sổ theo dõi hồ sơ (Mẫu 07), the statistics workbook, the queue log.

- **Bounded memory.** Rows stream from one SQLite cursor straight into the file: the CSV
  through `csv.writer`, the Mẫu 07 XLSX through XlsxWriter's constant-memory mode and the
  other workbooks through openpyxl's write-only mode (rows go to a temporary file as they
  come). Nothing holds the range in memory, whatever its size.
- **Reproducible.** Rows are sorted (received_at, code); nothing depends on the wall clock:
  the workbook's created/modified properties come from the range and every part of the XLSX
  zip carries a fixed timestamp, so the same store and range give the same bytes.
- **Inert.** No cell can become a formula, whatever a citizen, the back office or the queue
  hub typed: XLSX text cells are written as text (never `<f>`), CSV cells that a spreadsheet
  would read as a formula get OWASP's leading `'` (`neutralise_formula`). The manifest hashes
  the bytes as written. Files are owner-only (0600).
- **Accountable.** Only a supervisor may export; each export writes an audit entry and a
  manifest signed with the device's Ed25519 key (`counter.signing`).

openpyxl and XlsxWriter are imported inside the functions that write workbooks: openpyxl
pulls in Pillow when present, and the core must not load it on import
(tests/test_architecture.py); neither is needed before an export.
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

from counter import audit, signing, stats, timeliness, witness
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
FORM_NUMBER = "07"  # Circular 03/2025; config [forms] numbering may print another
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

TIMELINESS_VI = {k: vi for k, (vi, _en) in timeliness.LABELS.items()}

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
    "returned_to, delivery, status, closed_reason, supplement_request, extended_due_at "
    "FROM dossiers "
    "WHERE received_at >= ? AND received_at < ?"
)


def _naive_vn(text: str | None) -> datetime | None:
    """Stored ISO → naive Vietnam wall time (Excel has no time zones)."""
    return parse_iso(text).replace(tzinfo=None) if text else None


def _note(
    status: str,
    finished: str | None,
    due: str,
    reason: str,
    as_of: datetime,
    request: str = "",
    extended: bool = False,
) -> str:
    """Status, then the one timeliness rule as of the book's date (early / on time / late,
    due today / overdue), the Mẫu 04 new appointment and why a dossier stopped."""
    label = STATUSES[status].vi if status in STATUSES else status
    judged = timeliness.timeliness(
        status, parse_iso(due) if due else None, parse_iso(finished) if finished else None, as_of
    )
    parts = [label]
    if judged is not None and judged != "on_track":
        parts.append(timeliness.label(judged).lower())
    if extended:
        parts.append("đã hẹn lại (Mẫu 04)")
    text = "; ".join(parts)
    detail = request.replace("\n", "; ") if status == "incomplete" else reason
    return f"{text}: {detail}" if detail else text


def book_rows(
    store: Store,
    agencies: Mapping[str, str],
    start: date,
    end: date,
    field: str | None = None,
    as_of: datetime | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Mẫu 07 rows in book order, one at a time; dates as naive Vietnam datetimes.

    Lateness is judged as of `as_of` (default: the end of the range), so the book of a past
    range reads the same whenever it is exported."""
    if as_of is None:
        as_of = book_as_of(end, None)
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
            request,
            extended,
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
            _note(status, finished, due, reason, as_of, request, bool(extended)),
        )


def book_as_of(end: date, now: datetime | None) -> datetime:
    """The moment a book judges lateness at: the end of its last day, or now if earlier."""
    last = datetime.combine(end, time(23, 59, 59), tzinfo=VN_TZ)
    return last if now is None else min(now, last)


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


def write_csv(
    path: Path, headers: Sequence[str], rows: Iterable[Sequence[Any]], separator: str = ";"
) -> int:
    """UTF-8 with BOM (Excel then reads Vietnamese correctly), CRLF lines, one header row.

    The separator is the list separator of the supervisor's Excel: ";" under Vietnamese
    regional settings (config `[exports] csv_separator`)."""
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        private_file(path)
        writer = csv.writer(fh, delimiter=separator)
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
    form_number: str = FORM_NUMBER,
) -> int:
    """The Mẫu 07 book laid out like the form; returns the number of data rows.

    XlsxWriter in constant-memory mode (each row goes to a temporary file once the next
    begins): 50 000 dossiers in about a quarter of openpyxl write-only's time, whose per-cell
    objects and styles were most of the cost (`bench.bench_exports`). Text cells go through
    `write_string`, numbers `write_number`, dates `write_datetime`: nothing is guessed from a
    string, so no cell can become a formula or a link. Reproducible like the other exports:
    fixed document dates, and XlsxWriter stamps every zip member 1980-01-01.
    """
    import xlsxwriter

    ncols = len(BOOK_COLUMNS)
    fd, tmp_name = tempfile.mkstemp(suffix=".xlsx.part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    count = 0
    try:
        wb = xlsxwriter.Workbook(
            tmp,
            {
                "constant_memory": True,
                "tmpdir": str(path.parent),
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        wb.set_properties(
            {
                "author": "counter",
                "created": datetime.combine(start, time(0, 0)),
            }
        )
        edge = {"border": 1}
        centred = {"align": "center", "valign": "vcenter", "text_wrap": True}
        title = wb.add_format({"bold": True, "font_size": 14, **centred})
        bold = wb.add_format({"bold": True, **centred})
        italic = wb.add_format({"italic": True, **centred})
        head = wb.add_format({"bold": True, **centred, **edge})
        number = wb.add_format({"italic": True, **centred, **edge})
        text = wb.add_format({"valign": "top", "text_wrap": True, **edge})
        when = wb.add_format(
            {"valign": "top", "text_wrap": True, "num_format": DATE_FORMAT, **edge}
        )
        ws = wb.add_worksheet("Sổ theo dõi hồ sơ")
        for i, col in enumerate(BOOK_COLUMNS):
            ws.set_column(i, i, col.width)
        ws.freeze_panes(BOOK_FIRST_DATA_ROW - 1, 2)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
        ws.repeat_rows(3, BOOK_HEADER_ROWS - 1)
        ws.set_footer("&CTrang &P / &N")
        last = ncols - 1
        ws.merge_range(0, 0, 0, last, agency, bold)
        heading = f"{BOOK_TITLE} (Mẫu số {form_number})" if form_number else BOOK_TITLE
        ws.merge_range(1, 0, 1, last, heading, title)
        ws.merge_range(
            2, 0, 2, last, f"Lĩnh vực: {field or ALL_FIELDS} — {range_text(start, end)}", italic
        )
        # Two header rows: the grouped columns share "Nhận và trả kết quả" above them; each
        # other column's header spans both rows. Constant memory writes rows in order and
        # `merge_range` cannot reach back into a row already flushed, so row 4's texts and
        # row 5's bordered blanks are written in order and the vertical merges (A4:A5 …) are
        # registered in the sheet's merge list, which is written out at close.
        # (tests/test_exports.py reads the merges back: a change in XlsxWriter shows there.)
        grouped = [i for i, c in enumerate(BOOK_COLUMNS) if c.group]
        for i, col in enumerate(BOOK_COLUMNS):
            if not col.group:
                ws.write_string(3, i, col.header, head)
        ws.merge_range(3, grouped[0], 3, grouped[-1], BOOK_COLUMNS[grouped[0]].group, head)
        for i, col in enumerate(BOOK_COLUMNS):
            if col.group:
                ws.write_string(4, i, col.header, head)
            else:
                ws.write_blank(4, i, None, head)
                ws.merge.append([3, i, 4, i])
        for i in range(ncols):
            ws.write_string(5, i, f"({i + 1})", number)
        kinds = [when if col.date else text for col in BOOK_COLUMNS]
        r = BOOK_FIRST_DATA_ROW - 1
        write_string, write_number = ws.write_string, ws.write_number
        write_datetime, write_blank = ws.write_datetime, ws.write_blank
        for row in rows:
            if len(row) != ncols:
                raise ValueError(f"a book row has {len(row)} cells, not {ncols}")
            for c, (value, fmt) in enumerate(zip(row, kinds, strict=True)):
                if value is None or value == "":
                    write_blank(r, c, None, fmt)
                elif isinstance(value, str):
                    write_string(r, c, value, fmt)
                elif isinstance(value, datetime):
                    write_datetime(r, c, value, fmt)
                elif isinstance(value, int | float):
                    write_number(r, c, value, fmt)
                else:
                    write_string(r, c, str(value), fmt)
            r += 1
            count += 1
        wb.close()
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
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
CASHLESS_HEADER = "Tỷ lệ thu phí không dùng tiền mặt"
DAY_FEE_HEADERS = ("Phí thu tiền mặt (đồng)", "Phí chuyển khoản (đồng)", CASHLESS_HEADER)
FEE_STATE_VI = {
    "paid_cash": "tiền mặt",
    "paid_transfer": "đã chuyển khoản",
    "to_pay_transfer": "chờ chuyển khoản",
    "exempt": "miễn",
}


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
    fees = whole.fees
    summary += [
        [f"Phí, lệ phí – {FEE_STATE_VI[k]} (số hồ sơ)", fees.count.get(k, 0)] for k in FEE_STATE_VI
    ]
    summary += [
        [f"Phí, lệ phí – {FEE_STATE_VI[k]} (đồng)", fees.amount.get(k, 0)]
        for k in ("paid_cash", "paid_transfer", "to_pay_transfer")
    ]
    summary += [
        [CASHLESS_HEADER, _rate_value(fees.cashless_share)],
        ["Mục tiêu thanh toán không dùng tiền mặt", stats.CASHLESS_GOAL],
    ]
    by_day: list[list[Any]] = []
    day = start
    while day <= end:
        f = stats.compute_figures(store, calendar, day, day, as_of, groups=())
        by_day.append(
            [
                f"{day:%d/%m/%Y}",
                *(f.counts[k] for k in keys),
                _rate_value(f.on_time_rate),
                f.fees.cash,
                f.fees.cashless,
                _rate_value(f.fees.cashless_share),
            ]
        )
        day += timedelta(days=1)
    tables: list[tuple[str, str, list[str], list[list[Any]]]] = [
        ("Tổng hợp", "Tổng hợp", ["Chỉ tiêu", "Số hồ sơ"], summary),
        (
            "Theo ngày",
            "Theo ngày",
            ["Ngày", *labels, RATE_HEADER, *DAY_FEE_HEADERS],
            by_day,
        ),
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
    action = f"export.{request.kind}"
    if separate_connection:  # a worker thread: audit a refusal on a connection of its own
        own = Store(desk.store.path)
        try:
            officer = require_supervisor(desk.officer, store=own, now=desk.now(), action=action)
        finally:
            own.close()
    else:
        officer = desk.require_supervisor(action)
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
            # the last head the portal witnessed: the part of the trail this export builds on
            # that no one holding this PC can rewrite unseen
            "witness": witness.last_witnessed(store),
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
    separator = desk.config.exports.csv_separator
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
                as_of = book_as_of(request.end, desk.now())
                rows = counter.wrap(
                    book_rows(store, agencies, request.start, request.end, book, as_of)
                )
                if fmt == "csv":
                    n = write_csv(path, BOOK_HEADERS, rows, separator)
                else:
                    n = write_book_xlsx(
                        path,
                        rows,
                        agency=agency,
                        field=book,
                        start=request.start,
                        end=request.end,
                        form_number=desk.config.forms.number("book"),
                    )
                written.append((path, n))
    elif request.kind == "stats":
        as_of = book_as_of(request.end, desk.now())
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
            written.append((path, write_csv(path, day_headers, day_rows, separator)))
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
                n = write_csv(path, headers, counter.wrap(log_rows), separator)
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
