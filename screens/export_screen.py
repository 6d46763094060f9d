"""Xuất sổ và thống kê: choose the range, lĩnh vực, kind and format; export in a thread worker.

The export runs in a thread with its own connection to the store (the UI keeps using the
desk's), reports progress to a ProgressBar through `call_from_thread`, and shows the signed
manifest's path when done. The core checks the role; this screen also shows the refusal up
front so an officer never fills a form they cannot submit. The form speaks the app's language
(or the `lang` given); the exported files stay Vietnamese (Mẫu 07 is a Vietnamese form).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, ProgressBar, Select, Static
from textual.worker import Worker, WorkerState

from counter import exports, stats
from counter.desk import Desk
from counter.errors import CounterError
from counter.exports.dates import parse_day
from counter.i18n import pick
from screens.footer import CounterFooter
from screens.i18n import tr
from screens.keys import bind, translate_bindings
from screens.supervisor import screen_lang

FORMAT_CHOICES = (
    ("XLSX và CSV", "both"),
    ("XLSX (Excel)", "xlsx"),
    ("CSV (UTF-8)", "csv"),
)


def format_choices(lang: str) -> tuple[tuple[str, str], ...]:
    return ((tr(lang, "exp.format.both"), "both"), *FORMAT_CHOICES[1:])


ALL_BOOKS = "__all__"
PER_FIELD = "__per_field__"


class ExportScreen(Screen[None]):
    """The export form; `on_done(result)` is called after a successful export."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("export.run", "run_export"),
        bind("export.back", "back"),
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
        lang: str | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.default_dir = default_dir or (desk.config.data_dir / "exports")
        self.queue_figures = queue_figures
        self.queue_log = queue_log
        self.on_done = on_done
        self.result: exports.ExportResult | None = None
        self.error: str = ""
        self.lang = screen_lang(self, lang)
        translate_bindings(self, self.lang)

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def compose(self) -> ComposeResult:
        today = f"{self.desk.now():%d/%m/%Y}"
        fields = [(f, f) for f in self.desk.catalogue.fields()]
        yield Static(self.t("exp.title"), classes="sup-caption")
        yield Static("", id="exp-refused")
        with Vertical(id="exp-form"):
            with Horizontal(classes="exp-row"):
                yield Label(self.t("exp.start"))
                yield Input(today, id="exp-start", placeholder="dd/mm/yyyy")
                yield Label(self.t("exp.end"))
                yield Input(today, id="exp-end", placeholder="dd/mm/yyyy")
            with Horizontal(classes="exp-row"):
                yield Label(self.t("exp.kind"))
                yield Select(
                    [(pick(pair, self.lang), key) for key, pair in exports.KINDS.items()],
                    value="book",
                    allow_blank=False,
                    id="exp-kind",
                )
            with Horizontal(classes="exp-row"):
                yield Label(self.t("exp.field"))
                yield Select(
                    [
                        (self.t("exp.all_fields"), ALL_BOOKS),
                        (self.t("exp.per_field"), PER_FIELD),
                        *fields,
                    ],
                    value=ALL_BOOKS,
                    allow_blank=False,
                    id="exp-field",
                )
            with Horizontal(classes="exp-row"):
                yield Label(self.t("exp.format"))
                yield Select(
                    format_choices(self.lang), value="both", allow_blank=False, id="exp-format"
                )
            with Horizontal(classes="exp-row"):
                yield Label(self.t("exp.dir"))
                yield Input(str(self.default_dir), id="exp-out")
            yield Button(self.t("exp.run"), id="exp-run", variant="primary")
        yield ProgressBar(id="exp-progress", show_eta=False)
        yield Static("", id="exp-result")
        yield CounterFooter()

    def on_mount(self) -> None:
        refused = self.query_one("#exp-refused", Static)
        try:
            self.desk.require_supervisor("export")  # a refusal is audited by the core
        except CounterError:
            refused.update(self.t("sup.refused"))
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
            self._show_error(exc.message(self.lang))
            return
        self.error = ""
        self.result = None
        self.query_one("#exp-run", Button).disabled = True
        self.query_one("#exp-result", Static).update(self.t("exp.running"))
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
            return exc.message(self.lang)
        except OSError as exc:
            return self.t("exp.write_error", error=exc)

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
            names = "\n".join(self.t("exp.file", name=f.path.name, n=f.rows) for f in outcome.files)
            done = self.t("exp.done", n=len(outcome.files), dir=outcome.manifest.parent)
            manifest = self.t("exp.manifest", path=outcome.manifest)
            self.query_one("#exp-result", Static).update(f"{done}\n{names}\n{manifest}")
            if self.on_done is not None:
                self.on_done(outcome)
        else:
            message = outcome if isinstance(outcome, str) else str(event.worker.error)
            self._show_error(message)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.query_one("#exp-result", Static).update(self.t("exp.failed", msg=message))
        self.notify(message, severity="error")

    def action_back(self) -> None:
        self.dismiss()
