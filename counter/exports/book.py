"""Sổ theo dõi hồ sơ (Mẫu 07): its columns, its rows from the store and its XLSX layout.
Its own home because the book is a legal form with its own rules (grouped headers, the
timeliness note), apart from the shared file plumbing in `files`."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from counter import stats, timeliness
from counter.catalogue import delivery_label
from counter.exports.files import DATE_FORMAT, range_text
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

TIMELINESS_VI = {k: vi for k, (vi, _en) in timeliness.LABELS.items()}


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
