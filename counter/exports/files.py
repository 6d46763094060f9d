"""The file plumbing every export shares: CSV, openpyxl workbooks, reproducible zips,
formula neutralising and the names of a range. Its own home so the book and the statistics
read as what they lay out, and so the writers can be tuned without touching either."""

from __future__ import annotations

import csv
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from counter.private import private_file
from counter.text import fold

Progress = Callable[[int, int], None]

PROGRESS_EVERY = 500
DATE_FORMAT = "dd/mm/yyyy hh:mm"
# Every zip member gets this timestamp (the zip format's epoch): the bytes never vary.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


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


class RowCounter:
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
