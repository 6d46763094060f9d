"""Supervisor exports: Sổ theo dõi hồ sơ (Mẫu 07), the statistics workbook, the queue log.

- **Bounded memory.** Rows stream from one SQLite cursor straight into the file: the CSV
  through `csv.writer`, the Mẫu 07 XLSX through `sheetml` (a streaming writer of our own,
  rows straight into the zip's deflate stream) and the other workbooks through openpyxl's
  write-only mode (rows go to a temporary file as they come). Nothing holds the range in
  memory, whatever its size.
- **Reproducible.** Rows are sorted (received_at, code); nothing depends on the wall clock:
  the workbook's created/modified properties come from the range and every part of the XLSX
  zip carries a fixed timestamp, so the same store and range give the same bytes.
- **Inert.** No cell can become a formula, whatever a citizen, the back office or the queue
  hub typed: XLSX text cells are written as text (never `<f>`), CSV cells that a spreadsheet
  would read as a formula get OWASP's leading `'` (`neutralise_formula`). The manifest hashes
  the bytes as written. Files are owner-only (0600).
- **Accountable.** Only a supervisor may export; each export writes an audit entry and a
  manifest signed with the device's Ed25519 key (`counter.signing`).

openpyxl is imported inside the functions that write its workbooks: it pulls in Pillow when
present, and the core must not load it on import (tests/test_architecture.py); it is not
needed before an export.

The package: this module is the service (request, files written, audit, signed manifest);
`files` the shared CSV/XLSX plumbing, `sheetml` the streaming XLSX writer, `book` the Mẫu 07
book, `statistics` the statistics and queue-log tables, `dates` the day and month parsing the
CLI and the export screen share.
Every name callers used from `counter.exports` is still importable from here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from counter import audit, signing, stats, witness
from counter.auth import require_supervisor
from counter.errors import InvalidInput
from counter.exports.book import (
    ALL_FIELDS,
    BOOK_COLUMNS,
    BOOK_FIRST_DATA_ROW,
    BOOK_HEADER_ROWS,
    BOOK_HEADERS,
    BOOK_TITLE,
    FORM_NUMBER,
    GROUP_HEADER,
    TIMELINESS_VI,
    Column,
    book_as_of,
    book_rows,
    count_book_rows,
    write_book_xlsx,
)
from counter.exports.files import (
    DATE_FORMAT,
    FORMULA_LEADS,
    PROGRESS_EVERY,
    ZIP_EPOCH,
    Progress,
    RowCounter,
    csv_value,
    neutralise_formula,
    range_label,
    range_text,
    save_workbook,
    slug,
    write_csv,
    write_table_xlsx,
)
from counter.exports.statistics import (
    CASHLESS_HEADER,
    DAY_FEE_HEADERS,
    FEE_STATE_VI,
    QUEUE_LOG_COLUMNS,
    RANGE_FIGURES,
    RATE_HEADER,
    queue_value,
    stats_tables,
)
from counter.private import tighten
from counter.store import Store
from counter.timeutil import iso

if TYPE_CHECKING:
    from counter.desk import Desk

__all__ = [
    "ALL_FIELDS",
    "BOOK_COLUMNS",
    "BOOK_FIRST_DATA_ROW",
    "BOOK_HEADERS",
    "BOOK_HEADER_ROWS",
    "BOOK_TITLE",
    "CASHLESS_HEADER",
    "DATE_FORMAT",
    "DAY_FEE_HEADERS",
    "FEE_STATE_VI",
    "FORMATS",
    "FORMULA_LEADS",
    "FORM_NUMBER",
    "GROUP_HEADER",
    "KINDS",
    "PROGRESS_EVERY",
    "QUEUE_LOG_COLUMNS",
    "RANGE_FIGURES",
    "RATE_HEADER",
    "TIMELINESS_VI",
    "ZIP_EPOCH",
    "Column",
    "ExportRequest",
    "ExportResult",
    "ExportedFile",
    "Progress",
    "base_name",
    "book_as_of",
    "book_rows",
    "count_book_rows",
    "csv_value",
    "export",
    "neutralise_formula",
    "range_label",
    "range_text",
    "save_workbook",
    "slug",
    "stats",
    "stats_tables",
    "write_book_xlsx",
    "write_csv",
    "write_table_xlsx",
]

KINDS = {
    "book": ("Sổ theo dõi hồ sơ (Mẫu 07)", "Register book (form 07)"),
    "stats": ("Thống kê", "Statistics"),
    "queue": ("Nhật ký hàng đợi", "Queue log"),
}
FORMATS = ("xlsx", "csv")


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


_BASENAMES = {"book": "so-theo-doi-ho-so", "stats": "thong-ke", "queue": "nhat-ky-hang-doi"}


def base_name(request: ExportRequest) -> str:
    name = f"{_BASENAMES[request.kind]}_{range_label(request.start, request.end)}"
    if request.kind == "book" and request.field:
        name += f"_{slug(request.field)}"
    return name


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
        counter = RowCounter(total, on_progress)
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
                [queue_value(r.get(k)) for k, _ in QUEUE_LOG_COLUMNS]
                for r in queue_log(request.start, request.end)
            )
            counter = RowCounter(0, on_progress)
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
