"""A small streaming SpreadsheetML (XLSX) writer: one worksheet, written as it comes.

Why not a library: the Mẫu 07 book of 50,000 dossiers must be written in ≤ 3 s (issue #18)
and even XlsxWriter's constant-memory mode took longer than that for the raw rows alone
(it escapes, types and positions each cell through several Python calls, writes the sheet
to a temporary file, then copies it into the zip). Here each row is one f-string per cell
joined once, streamed straight into the zip member: `bench/bench_exports.py` measures it
beside plain XlsxWriter and openpyxl.

What it guarantees:
- **Bounded memory.** Rows go out in batches into a deflate stream; only the merge list (a
  few ranges) waits for the end of the sheet.
- **Reproducible.** Every zip member has the fixed timestamp `ZIP_EPOCH` and mode 0600, parts
  come in a fixed order, document dates are given: the same rows give the same bytes.
- **Inert text.** A text cell is always an inline string (`t="inlineStr"`), never `<f>`:
  nothing a citizen typed can become a formula, a number or a link.
- **Any text survives.** `&<>` are XML-escaped; characters XML 1.0 cannot carry (C0 controls
  but tab and line feed, carriage return which XML would read as a line feed, lone
  surrogates, U+FFFE/U+FFFF) are written as ECMA-376's `_xHHHH_` escape, which Excel and
  LibreOffice decode back to the character; a literal `_xHHHH_` in the text is protected as
  `_x005F_xHHHH_` so it is not decoded. `decode_xstring` is that rule read back.
"""

from __future__ import annotations

import contextlib
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Excel's cell limit (characters); XlsxWriter also cut longer strings at this length.
MAX_TEXT = 32_767
_EXCEL_EPOCH = datetime(1899, 12, 30)
_ROWS_PER_WRITE = 512  # rows joined before each write into the deflate stream
# zlib level 1: deflating the 41 MB sheet of 50,000 rows takes 0.13 s, against 0.49 s at the
# default level 6, for a file of 4.9 MB instead of 3.6 MB; the bytes are still fixed.
COMPRESS_LEVEL = 1

_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

# What cannot stand as itself in a cell's XML text: markup, the characters XML 1.0 forbids or
# rewrites (CR), and a `_` that starts a literal `_xHHHH_` (else read as an escape). LibreOffice
# also decodes one or two hex digits (`_x12_`), so any `_x` + 1–4 hex digits + `_` is
# protected, and `_X…_` too in case a reader ignores the case.
_SPECIAL = re.compile("[&<>\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]|_(?=[xX][0-9A-Fa-f]{1,4}_)")
_MARKUP = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPED = re.compile("_x([0-9A-Fa-f]{4})_")


def _replace(match: re.Match[str]) -> str:
    ch = match.group(0)
    return _MARKUP.get(ch) or f"_x{ord(ch):04X}_"


def escape_text(text: str) -> str:
    """`text` as the content of a cell's `<t>`: markup escaped, the rest as `_xHHHH_`."""
    if _SPECIAL.search(text) is None:
        return text
    return _SPECIAL.sub(_replace, text)


def decode_xstring(text: str) -> str:
    """What Excel shows for a cell's `<t>` text: every `_xHHHH_` decoded (ECMA-376 ST_Xstring).

    openpyxl returns the text undecoded; tests read cells back through this."""
    if "_x" not in text:
        return text
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), text)


def _attr(text: str) -> str:
    return escape_text(text).replace('"', "&quot;")


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(moment: datetime | date) -> float:
    """A naive date or datetime as Excel's serial day number (the 1900 system), exact from
    1 March 1900 on (Excel counts a 29 February 1900 that never was; the book's dates are
    dossiers' times)."""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            raise ValueError("an XLSX date must be naive wall time (Excel has no time zones)")
        delta = moment - _EXCEL_EPOCH
    else:
        delta = datetime(moment.year, moment.month, moment.day) - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


@dataclass(frozen=True)
class CellStyle:
    """One cell format: font, alignment, a thin border on all four sides, a number format."""

    bold: bool = False
    italic: bool = False
    size: float = 11
    horizontal: str | None = None  # "center", "left", …
    vertical: str | None = None  # "center", "top", …
    wrap: bool = False
    border: bool = False
    num_format: str | None = None


@dataclass(frozen=True)
class PageSetup:
    landscape: bool = True
    paper: int = 9  # A4
    fit_to_width: bool = True  # one page wide, as many tall as needed
    centred: bool = True
    margins: tuple[float, float, float, float] = (0.4, 0.4, 0.5, 0.5)  # left, right, top, bottom
    title_rows: tuple[int, int] | None = None  # 0-based rows repeated on every printed page
    footer: str = ""  # Excel header/footer codes: "&CTrang &P / &N"


@dataclass(frozen=True)
class SheetLayout:
    """Everything about the sheet that does not depend on its rows."""

    name: str
    widths: Sequence[float]  # characters, as Excel's column width dialog shows them
    styles: Sequence[CellStyle]  # style ids 1…n in cells; 0 is the default
    freeze: tuple[int, int] = (0, 0)  # rows, columns kept in view
    page: PageSetup = field(default_factory=PageSetup)
    created: datetime = datetime(2000, 1, 1)
    author: str = "counter"

    def __post_init__(self) -> None:
        if not 0 < len(self.name) <= 31 or any(ch in self.name for ch in "[]:*?/\\'"):
            raise ValueError(f"not a worksheet name: {self.name!r}")


def _excel_width(chars: float) -> float:
    """The width Excel stores for `chars` characters of Calibri 11 (7 px digits, 5 px padding),
    as XlsxWriter and Excel itself write it."""
    if chars <= 0:
        return 0.0
    if chars < 1:
        return int(chars * 12 + 0.5) / 7
    return (int(chars * 7 + 0.5) + 5) / 7


def _styles_xml(styles: Sequence[CellStyle]) -> str:
    fonts: list[tuple[bool, bool, float]] = [(False, False, 11)]
    formats: list[str] = []
    xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
    for st in styles:
        font = (st.bold, st.italic, st.size)
        if font not in fonts:
            fonts.append(font)
        num_id = 0
        if st.num_format is not None:
            if st.num_format not in formats:
                formats.append(st.num_format)
            num_id = 164 + formats.index(st.num_format)
        align = "".join(
            f' {k}="{v}"'
            for k, v in (
                ("horizontal", st.horizontal),
                ("vertical", st.vertical),
                ("wrapText", "1" if st.wrap else None),
            )
            if v
        )
        xfs.append(
            f'<xf numFmtId="{num_id}" fontId="{fonts.index(font)}" fillId="0" '
            f'borderId="{1 if st.border else 0}" xfId="0"'
            + (' applyNumberFormat="1"' if num_id else "")
            + (' applyFont="1"' if font != fonts[0] else "")
            + (' applyBorder="1"' if st.border else "")
            + (f' applyAlignment="1"><alignment{align}/></xf>' if align else "/>")
        )
    num_fmts = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{_attr(f)}"/>' for i, f in enumerate(formats)
    )
    font_xml = "".join(
        "<font>"
        + ("<b/>" if bold else "")
        + ("<i/>" if italic else "")
        + f'<sz val="{size:g}"/><color theme="1"/><name val="Calibri"/><family val="2"/></font>'
        for bold, italic, size in fonts
    )
    thin = '<{0} style="thin"><color auto="1"/></{0}>'
    return (
        _XML_HEAD
        + f'<styleSheet xmlns="{_MAIN_NS}">'
        + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
        + f'<fonts count="{len(fonts)}">{font_xml}</fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        "<border>"
        + "".join(thin.format(s) for s in ("left", "right", "top", "bottom"))
        + "<diagonal/></border></borders>"
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        f'</cellStyleXfs><cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="0"/><tableStyles count="0"/></styleSheet>'
    )


def _static_parts(layout: SheetLayout) -> list[tuple[str, str]]:
    """Every part but the worksheet, in the order they are written."""
    ct = "application/vnd.openxmlformats-officedocument"
    stamp = f"{layout.created:%Y-%m-%dT%H:%M:%S}Z"
    quoted = "'" + layout.name + "'"
    defined = ""
    if layout.page.title_rows is not None:
        first, last = layout.page.title_rows
        defined = (
            '<definedNames><definedName name="_xlnm.Print_Titles" localSheetId="0">'
            f"{_attr(quoted)}!${first + 1}:${last + 1}</definedName></definedNames>"
        )
    return [
        (
            "[Content_Types].xml",
            _XML_HEAD
            + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{ct}.spreadsheetml.worksheet+xml"/></Types>',
        ),
        (
            "_rels/.rels",
            _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
            'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL_NS}/extended-properties" '
            'Target="docProps/app.xml"/></Relationships>',
        ),
        (
            "docProps/app.xml",
            _XML_HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/'
            '2006/extended-properties"><Application>Microsoft Excel</Application>'
            "<DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop></Properties>",
        ),
        (
            "docProps/core.xml",
            _XML_HEAD + "<cp:coreProperties "
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{_attr(layout.author)}</dc:creator>"
            f"<cp:lastModifiedBy>{_attr(layout.author)}</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
            "</cp:coreProperties>",
        ),
        (
            "xl/workbook.xml",
            _XML_HEAD + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            "<bookViews><workbookView/></bookViews>"
            f'<sheets><sheet name="{_attr(layout.name)}" sheetId="1" r:id="rId1"/></sheets>'
            f"{defined}</workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            _XML_HEAD + f'<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/worksheet" '
            'Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>",
        ),
        ("xl/styles.xml", _styles_xml(layout.styles)),
    ]


def _sheet_head(layout: SheetLayout) -> str:
    rows, cols = layout.freeze
    view = '<sheetView tabSelected="1" workbookViewId="0"'
    if rows or cols:
        corner = f"{column_letter(cols)}{rows + 1}"
        pane = "bottomRight" if rows and cols else ("bottomLeft" if rows else "topRight")
        view += (
            f"><pane{f' xSplit={chr(34)}{cols}{chr(34)}' if cols else ''}"
            f'{f" ySplit={chr(34)}{rows}{chr(34)}" if rows else ""} topLeftCell="{corner}" '
            f'activePane="{pane}" state="frozen"/>'
            f'<selection pane="{pane}" activeCell="{corner}" sqref="{corner}"/></sheetView>'
        )
    else:
        view += "/>"
    cols_xml = "".join(
        f'<col min="{i}" max="{i}" width="{_excel_width(w):.16g}" customWidth="1"/>'
        for i, w in enumerate(layout.widths, start=1)
    )
    fit = '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if layout.page.fit_to_width else ""
    return (
        _XML_HEAD + f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">{fit}'
        f'<sheetViews>{view}</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
        + (f"<cols>{cols_xml}</cols>" if cols_xml else "")
        + "<sheetData>"
    )


def _sheet_tail(layout: SheetLayout, merges: Sequence[str]) -> str:
    page = layout.page
    left, right, top, bottom = page.margins
    merge_xml = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    setup = f'<pageSetup paperSize="{page.paper}"'
    if page.fit_to_width:
        setup += ' fitToHeight="0"'
    setup += ' orientation="landscape"/>' if page.landscape else ' orientation="portrait"/>'
    return (
        "</sheetData>"
        + (f'<mergeCells count="{len(merges)}">{merge_xml}</mergeCells>' if merges else "")
        + ('<printOptions horizontalCentered="1"/>' if page.centred else "")
        + f'<pageMargins left="{left:g}" right="{right:g}" top="{top:g}" bottom="{bottom:g}" '
        'header="0.3" footer="0.3"/>'
        + setup
        + (
            f"<headerFooter><oddFooter>{_attr(page.footer)}</oddFooter></headerFooter>"
            if page.footer
            else ""
        )
        + "</worksheet>"
    )


def _number(value: float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"an XLSX cell cannot hold {value!r}")
    return repr(value) if isinstance(value, float) else str(int(value))


def _text_cell(ref: str, style: int, text: str) -> str:
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    body = escape_text(text)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t{space}>{body}</t></is></c>'


def cell_xml(ref: str, style: int, value: Any) -> str:
    """One `<c>`: blank (None or ""), text (always an inline string), number, date."""
    if value is None or value == "":
        return f'<c r="{ref}" s="{style}"/>'
    if isinstance(value, str):
        return _text_cell(ref, style, value)
    if isinstance(value, date):
        return f'<c r="{ref}" s="{style}"><v>{excel_serial(value)!r}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}" s="{style}"><v>{_number(value)}</v></c>'
    return _text_cell(ref, style, str(value))


class SheetStream:
    """One workbook, one worksheet, written row after row into `path` (use as a context).

    Rows must come in order (`row` for a few styled rows, `rows` for the body); merged ranges
    may be added at any time. Nothing is valid until `close` (the end of the `with`)."""

    def __init__(self, path: Path, layout: SheetLayout) -> None:
        self.layout = layout
        self.next_row = 0  # 0-based index of the next row written
        self._merges: list[str] = []
        self._letters = [column_letter(i) for i in range(max(len(layout.widths), 1))]
        self._zip = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
        for name, text in _static_parts(layout):
            with self._zip.open(self._info(name), "w") as part:
                part.write(text.encode())
        self._sheet: IO[bytes] = self._zip.open(self._info("xl/worksheets/sheet1.xml"), "w")
        self._sheet.write(_sheet_head(layout).encode())

    @staticmethod
    def _info(name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        setattr(info, "_compresslevel", COMPRESS_LEVEL)  # noqa: B010 (private in 3.11)
        return info

    def _letter(self, col: int) -> str:
        while col >= len(self._letters):
            self._letters.append(column_letter(len(self._letters)))
        return self._letters[col]

    def merge(self, first_row: int, first_col: int, last_row: int, last_col: int) -> None:
        """Merge a range (0-based, inclusive); its cells are written like any others."""
        self._merges.append(
            f"{self._letter(first_col)}{first_row + 1}:{self._letter(last_col)}{last_row + 1}"
        )

    def row(self, cells: Sequence[tuple[Any, int]]) -> None:
        """One row of (value, style id) cells, from column A."""
        n = self.next_row + 1
        body = "".join(
            cell_xml(f"{self._letter(c)}{n}", style, value)
            for c, (value, style) in enumerate(cells)
        )
        self._sheet.write(f'<row r="{n}">{body}</row>'.encode())
        self.next_row += 1

    def rows(self, rows: Iterable[Sequence[Any]], styles: Sequence[int]) -> int:
        """The body: every row has one value per style; returns the number of rows.

        The hot loop of a 50,000-row export: strings and numbers, the common cells, are
        formatted inline; anything else goes through `cell_xml`."""
        width = len(styles)
        columns = [(self._letter(c), style) for c, style in enumerate(styles)]
        plain = _SPECIAL.search
        n = self.next_row
        count = 0
        out: list[str] = []
        append = out.append
        write = self._sheet.write
        for values in rows:
            if len(values) != width:
                raise ValueError(f"a row has {len(values)} cells, not {width}")
            n += 1
            append(f'<row r="{n}">')
            for (letter, style), value in zip(columns, values):  # noqa: B905 (checked above)
                kind = type(value)
                if kind is str and value and len(value) <= MAX_TEXT and plain(value) is None:
                    if value[0].isspace() or value[-1].isspace():
                        append(_text_cell(f"{letter}{n}", style, value))
                    else:
                        append(
                            f'<c r="{letter}{n}" s="{style}" t="inlineStr"><is><t>{value}'
                            "</t></is></c>"
                        )
                elif kind is int:
                    append(f'<c r="{letter}{n}" s="{style}"><v>{value}</v></c>')
                elif kind is datetime and value.tzinfo is None:
                    delta = value - _EXCEL_EPOCH
                    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
                    append(f'<c r="{letter}{n}" s="{style}"><v>{serial!r}</v></c>')
                else:
                    append(cell_xml(f"{letter}{n}", style, value))
            append("</row>")
            count += 1
            if count % _ROWS_PER_WRITE == 0:
                write("".join(out).encode())
                out.clear()
        if out:
            write("".join(out).encode())
        self.next_row = n
        return count

    def close(self) -> None:
        self._sheet.write(_sheet_tail(self.layout, self._merges).encode())
        self._sheet.close()
        self._zip.close()

    def abort(self) -> None:
        """Give up: close the file without making it a workbook (the caller deletes it).

        Called while an error propagates (a failing row source, a full disk): a second error
        while closing a half-written file must not replace the first, which says why."""
        with contextlib.suppress(Exception):
            self._sheet.close()
        with contextlib.suppress(Exception):
            self._zip.close()

    def __enter__(self) -> SheetStream:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
