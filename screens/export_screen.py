"""Xuất sổ và thống kê: choose the range, lĩnh vực, kind and format; export in a thread worker.

The export runs in a thread with its own connection to the store (the UI keeps using the
desk's), reports progress to a ProgressBar through `call_from_thread`, and shows the signed
manifest's path when done. The core checks the role; this screen also shows the refusal up
front so an officer never fills a form they cannot submit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from counter import exports, stats
from counter.desk import Desk
from counter.errors import CounterError
from counter.export_cli import parse_day
from screens.supervisor import REFUSED

FORMAT_CHOICES = (
    ("XLSX và CSV", "both"),
    ("XLSX (Excel)", "xlsx"),
    ("CSV (UTF-8)", "csv"),
)
ALL_BOOKS = "__all__"
PER_FIELD = "__per_field__"


class ExportScreen(Screen[None]):
    """The export form; `on_done(result)` is called after a successful export."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "run_export", "Xuất", id="export.run"),
        Binding("escape", "back", "Quay lại", id="export.back"),
    ]

    DEFAULT_CSS = """
    ExportScreen #exp-form { padding: 1 2; height: auto; }
    ExportScreen .exp-row { height: auto; margin-bottom: 1; }
    ExportScreen .exp-row Label { width: 18; padding-top: 1; }
    ExportScreen .exp-row Input { width: 1fr; }
    ExportScreen .exp-row Select { width: 1fr; }
    ExportScreen #exp-progress { margin: 1 2; }
    ExportScreen #exp-result { padding: 0 2; }
    ExportScreen #exp-refused { padding: 1 2; color: $error; text-style: bold; }
    """

    def __init__(
        self,
        desk: Desk,
        *,
        default_dir: Path | None = None,
        queue_figures: stats.QueueFiguresProvider | None = None,
        queue_log: stats.QueueLogProvider | None = None,
        on_done: Callable[[exports.ExportResult], None] | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.default_dir = default_dir or (desk.config.data_dir / "exports")
        self.queue_figures = queue_figures
        self.queue_log = queue_log
        self.on_done = on_done
        self.result: exports.ExportResult | None = None
        self.error: str = ""

    def compose(self) -> ComposeResult:
        today = f"{self.desk.now():%d/%m/%Y}"
        fields = [(f, f) for f in self.desk.catalogue.fields()]
        yield Static("Xuất sổ theo dõi hồ sơ và thống kê", classes="sup-caption")
        yield Static("", id="exp-refused")
        with Vertical(id="exp-form"):
            with Horizontal(classes="exp-row"):
                yield Label("Từ ngày")
                yield Input(today, id="exp-start", placeholder="dd/mm/yyyy")
                yield Label("Đến ngày")
                yield Input(today, id="exp-end", placeholder="dd/mm/yyyy")
            with Horizontal(classes="exp-row"):
                yield Label("Loại")
                yield Select(
                    [(label, key) for key, (label, _) in exports.KINDS.items()],
                    value="book",
                    allow_blank=False,
                    id="exp-kind",
                )
            with Horizontal(classes="exp-row"):
                yield Label("Lĩnh vực")
                yield Select(
                    [
                        ("Tất cả lĩnh vực (một sổ)", ALL_BOOKS),
                        ("Mỗi lĩnh vực một sổ", PER_FIELD),
                        *fields,
                    ],
                    value=ALL_BOOKS,
                    allow_blank=False,
                    id="exp-field",
                )
            with Horizontal(classes="exp-row"):
                yield Label("Định dạng")
                yield Select(FORMAT_CHOICES, value="both", allow_blank=False, id="exp-format")
            with Horizontal(classes="exp-row"):
                yield Label("Thư mục")
                yield Input(str(self.default_dir), id="exp-out")
            yield Button("Xuất (Ctrl+S)", id="exp-run", variant="primary")
        yield ProgressBar(id="exp-progress", show_eta=False)
        yield Static("", id="exp-result")
        yield Footer()

    def on_mount(self) -> None:
        refused = self.query_one("#exp-refused", Static)
        if self.desk.officer is None or not self.desk.officer.is_supervisor:
            refused.update(REFUSED)
            self.query_one("#exp-form").display = False
            self.query_one("#exp-progress").display = False
            return
        refused.display = False
        self.query_one("#exp-start", Input).focus()

    # -- the request -----------------------------------------------------------------------

    def build_request(self) -> exports.ExportRequest:
        today = self.desk.now().date()
        start = parse_day(self.query_one("#exp-start", Input).value, today)
        end_text = self.query_one("#exp-end", Input).value.strip()
        end = parse_day(end_text, today) if end_text else start
        fmt = str(self.query_one("#exp-format", Select).value)
        books = str(self.query_one("#exp-field", Select).value)
        out = self.query_one("#exp-out", Input).value.strip() or str(self.default_dir)
        return exports.ExportRequest(
            start=start,
            end=end,
            out_dir=Path(out).expanduser(),
            kind=str(self.query_one("#exp-kind", Select).value),
            formats=("xlsx", "csv") if fmt == "both" else (fmt,),
            field=None if books in (ALL_BOOKS, PER_FIELD) else books,
            per_field=books == PER_FIELD,
        )

    def action_run_export(self) -> None:
        if self.query_one("#exp-form").display is False:
            return
        try:
            request = self.build_request()
        except CounterError as exc:
            self._show_error(exc.vi)
            return
        self.error = ""
        self.result = None
        self.query_one("#exp-run", Button).disabled = True
        self.query_one("#exp-result", Static).update("Đang xuất…")
        self.query_one("#exp-progress", ProgressBar).update(total=None, progress=0)
        self.run_worker(
            lambda: self._export(request),
            thread=True,
            exclusive=True,
            group="export",
            exit_on_error=False,
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "exp-run":
            self.action_run_export()

    # -- the worker ------------------------------------------------------------------------

    def _export(self, request: exports.ExportRequest) -> exports.ExportResult | str:
        """Runs in a thread: errors come back as a message, progress through the app."""
        try:
            return exports.export(
                self.desk,
                request,
                on_progress=lambda done, total: self.app.call_from_thread(
                    self._progress, done, total
                ),
                queue_figures=self.queue_figures,
                queue_log=self.queue_log,
                separate_connection=True,
            )
        except CounterError as exc:
            return exc.vi
        except OSError as exc:
            return f"Không ghi được tệp: {exc}"

    def _progress(self, done: int, total: int) -> None:
        self.query_one("#exp-progress", ProgressBar).update(total=max(total, 1), progress=done)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "export" or event.state not in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
        ):
            return
        self.query_one("#exp-run", Button).disabled = False
        outcome = event.worker.result if event.state == WorkerState.SUCCESS else None
        if isinstance(outcome, exports.ExportResult):
            self.result = outcome
            bar = self.query_one("#exp-progress", ProgressBar)
            bar.update(total=max(outcome.rows, 1), progress=max(outcome.rows, 1))
            names = "\n".join(f"  {f.path.name} ({f.rows} dòng)" for f in outcome.files)
            self.query_one("#exp-result", Static).update(
                f"Đã xuất {len(outcome.files)} tệp vào {outcome.manifest.parent}:\n{names}\n"
                f"Bản kê có chữ ký: {outcome.manifest}"
            )
            if self.on_done is not None:
                self.on_done(outcome)
        else:
            message = outcome if isinstance(outcome, str) else str(event.worker.error)
            self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one("#exp-result", Static).update(f"Không xuất được: {message}")
        self.notify(message, severity="error")

    def action_back(self) -> None:
        self.dismiss()
