"""Sổ theo dõi hồ sơ (Mẫu 07): its columns, its rows from the store and its XLSX layout.
Its own home because the book is a legal form with its own rules (grouped headers, the
timeliness note), apart from the shared file plumbing in `files`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from counter import stats, timeliness
from counter.catalogue import delivery_label
from counter.exports.files import DATE_FORMAT, range_text
from counter.exports.sheetml import CellStyle, PageSetup, SheetLayout, SheetStream
from counter.lifecycle import STATUSES
from counter.store import Store
from counter.timeutil import VN_TZ, parse_iso

FORM_NUMBER = "07"  # Circular 03/2025; config [forms] numbering may print another
BOOK_TITLE = "SỔ THEO DÕI HỒ SƠ"
GROUP_HEADER = "Nhận và trả kết quả"
ALL_FIELDS = "Tất cả lĩnh vực"


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

# The book's cell formats; style ids in the sheet are their positions + 1 (0 is Excel's default).
_CENTRED = CellStyle(horizontal="center", vertical="center", wrap=True)
_BOOK_STYLES = (
    replace(_CENTRED, bold=True),  # the agency line
    replace(_CENTRED, bold=True, size=14),  # the title
    replace(_CENTRED, italic=True),  # lĩnh vực and range
    replace(_CENTRED, bold=True, border=True),  # column headers
    replace(_CENTRED, italic=True, border=True),  # (1) … (12)
    CellStyle(vertical="top", wrap=True, border=True),  # text and numbers
    CellStyle(vertical="top", wrap=True, border=True, num_format=DATE_FORMAT),  # dates
)
_BOLD, _TITLE, _ITALIC, _HEAD, _NUMBER, _TEXT, _WHEN = range(1, len(_BOOK_STYLES) + 1)

TIMELINESS_VI = {k: vi for k, (vi, _en) in timeliness.LABELS.items()}


# -- the book rows ------------------------------------------------------------------------

_BOOK_SELECT = (
    "SELECT code, procedure_code, procedure_name, applicant_name, applicant_address, "
    "applicant_phone, representative_name, received_at, due_at, finished_at, returned_at, "
    "returned_to, delivery, status, closed_reason, supplement_request, extended_due_at "
    "FROM dossiers "
    "WHERE received_at >= ? AND received_at < ?"
)


def _vn(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def _naive(moment: datetime | None) -> datetime | None:
    """Vietnam time without its zone (Excel has no time zones)."""
    return moment.replace(tzinfo=None) if moment is not None else None


def _note(
    status: str,
    finished: datetime | None,
    due: datetime | None,
    reason: str,
    as_of: datetime,
    request: str = "",
    extended: bool = False,
) -> str:
    """Status, then the one timeliness rule as of the book's date (early / on time / late,
    due today / overdue), the Mẫu 04 new appointment and why a dossier stopped."""
    label = STATUSES[status].vi if status in STATUSES else status
    judged = timeliness.timeliness(status, due, finished, as_of)
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
        due_at = _vn(due)  # parsed once: the book's column and the timeliness rule
        yield (
            n,
            code,
            procedure_name,
            who,
            contact,
            agencies.get(procedure_code, ""),
            _naive(_vn(received)),
            _naive(due_at),
            _naive(_vn(returned)),
            delivery_label(delivery),
            returned_to,
            _note(status, _vn(finished), due_at, reason, as_of, request, bool(extended)),
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

    Written by `sheetml.SheetStream`, a streaming SpreadsheetML writer of our own: 50,000
    dossiers in well under the 3 s of issue #18, where XlsxWriter's constant-memory mode of
    the raw rows alone took longer (`bench.bench_exports`). Text cells are inline strings
    (never a formula, number or link), dates real Excel dates; reproducible like the other
    exports: the document date is the range's first moment, every zip member 1980-01-01.
    The file appears only whole (a temporary file renamed into place).
    """
    ncols = len(BOOK_COLUMNS)
    layout = SheetLayout(
        name="Sổ theo dõi hồ sơ",
        widths=[c.width for c in BOOK_COLUMNS],
        styles=_BOOK_STYLES,
        freeze=(BOOK_FIRST_DATA_ROW - 1, 2),
        page=PageSetup(title_rows=(3, BOOK_HEADER_ROWS - 1), footer="&CTrang &P / &N"),
        created=datetime.combine(start, time(0, 0)),
    )
    fd, tmp_name = tempfile.mkstemp(suffix=".xlsx.part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with SheetStream(tmp, layout) as sheet:
            last = ncols - 1
            heading = f"{BOOK_TITLE} (Mẫu số {form_number})" if form_number else BOOK_TITLE
            lines = (
                (agency, _BOLD),
                (heading, _TITLE),
                (f"Lĩnh vực: {field or ALL_FIELDS} — {range_text(start, end)}", _ITALIC),
            )
            for r, (text, style) in enumerate(lines):
                sheet.row([(text, style)] + [(None, style)] * last)
                sheet.merge(r, 0, r, last)
            # Two header rows: the grouped columns share "Nhận và trả kết quả" above them;
            # each other column's header spans both rows. Every cell of a merged range is
            # written with the range's style, so its borders show in Excel and LibreOffice.
            grouped = [i for i, c in enumerate(BOOK_COLUMNS) if c.group]
            sheet.row(
                [
                    (
                        c.header if not c.group else (c.group if i == grouped[0] else None),
                        _HEAD,
                    )
                    for i, c in enumerate(BOOK_COLUMNS)
                ]
            )
            sheet.row([(c.header if c.group else None, _HEAD) for c in BOOK_COLUMNS])
            sheet.merge(3, grouped[0], 3, grouped[-1])
            for i, col in enumerate(BOOK_COLUMNS):
                if not col.group:
                    sheet.merge(3, i, 4, i)
            sheet.row([(f"({i + 1})", _NUMBER) for i in range(ncols)])
            count = sheet.rows(rows, [_WHEN if c.date else _TEXT for c in BOOK_COLUMNS])
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count
