"""Printer and sync state: the status-bar words, the receipt preview and the status screen.

The officer sees at a glance whether receipts are waiting and whether the portal is reachable,
and can retry, cancel or move a print job, or sync now. Nothing here waits on the network or
the printer: the screen only reads what the background workers left in the store.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from counter.desk import Desk
from counter.dossiers import Dossier
from counter.errors import CounterError
from counter.timeutil import fmt_short
from screens.base import CounterModal, CounterScreen
from screens.footer import CounterFooter
from screens.i18n import pick, tr
from screens.keys import KEYS, bind, key_label

KIND_LABELS = {
    "receipt": ("Giấy tiếp nhận", "Receipt"),
    "supplement": ("Phiếu bổ sung", "Supplement slip"),
    "refusal": ("Phiếu từ chối", "Refusal slip"),
    "ticket": ("Phiếu số thứ tự", "Queue ticket"),
    "testpage": ("Trang in thử", "Test page"),
}


def printer_text(desk: Desk, lang: str) -> Text:
    """ "Máy in: sẵn sàng" or how many jobs wait and why, in red when the printer fails."""
    pending, failing = desk.print_state()
    uncertain = desk.uncertain_prints() if failing else 0
    if uncertain:
        return Text(tr(lang, "status.printer_uncertain", n=uncertain), style="bold white on red")
    if not pending:
        return Text(tr(lang, "status.printer_ok", name=desk.default_printer))
    if failing:
        return Text(tr(lang, "status.printer_error", n=pending), style="bold white on red")
    return Text(tr(lang, "status.printer_busy", n=pending))


def sync_text(desk: Desk, lang: str) -> Text:
    s = desk.sync_status()
    if s.alert is not None:  # revoked, re-enroll, clock skew, portal restored: never hidden
        text = Text(s.alert.message(lang), style="bold white on red")
    elif not s.configured:
        text = Text(tr(lang, "app.sync_off"))
    elif s.online is False:
        text = Text(tr(lang, "status.sync_offline"), style="bold yellow")
    elif s.last_success is not None:
        text = Text(tr(lang, "status.sync_ok", at=f"{s.last_success:%H:%M}"))
    else:
        text = Text(tr(lang, "status.sync_never"))
    if s.pending:
        text.append(" · " + tr(lang, "app.pending", n=s.pending))
    if s.rejected:
        text.append(" · " + tr(lang, "status.rejected", n=s.rejected), style="bold red")
    return text


def receipt_preview(desk: Desk, dossier: Dossier, width: int = 48) -> str:
    """The receipt exactly as the spool would print it now, as text with a scannable QR."""
    # Imported here: the print pipeline (python-escpos's capability database) costs more at
    # start-up than the rest of the app; it loads when a receipt is first previewed.
    from printing.plain import preview_text
    from printing.spool_worker import build_documents

    # A finished job's document may have been released by the retention cleanup (empty).
    jobs = [j for j in desk.print_jobs(dossier.uuid) if j.kind == "receipt" and j.document]
    # (a dossier older than the spool: the receipt as it would print now)
    document = build_documents(jobs[-1])[0] if jobs else desk.receipt_fields(dossier)
    return preview_text(document, width)


class ReceiptPreview(CounterModal[None]):
    """What the citizen's receipt says, before or after printing; `i` prints it again."""

    BINDINGS = [  # noqa: RUF012
        bind("receipt.reprint", "reprint"),
        bind("receipt.close", "close"),
    ]

    def __init__(self, dossier: Dossier) -> None:
        super().__init__()
        self.dossier = dossier

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="receipt-box"):
            yield Static(self.t("receipt.title", code=self.dossier.code), classes="screen-title")
            yield Static(Text(receipt_preview(self.desk, self.dossier)), id="receipt-paper")
        yield CounterFooter()

    def action_reprint(self) -> None:
        self.capp.reprint_receipt(self.dossier)

    def action_close(self) -> None:
        self.dismiss(None)


class SystemStatusScreen(CounterScreen):
    """Pending print jobs (retry, cancel, move) and the sync state with rejected entries."""

    BINDINGS = [  # noqa: RUF012
        bind("status.retry", "retry"),
        bind("status.cancel", "cancel_job"),
        bind("status.move", "move"),
        bind("status.printed", "answer(True)"),
        bind("status.not_printed", "answer(False)"),
        bind("status.back", "back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(self.t("status.title"), classes="screen-title")
        yield Static("", id="status-printer")
        yield Static("", id="status-question")
        jobs: DataTable[str] = DataTable(id="print-jobs", cursor_type="row")
        yield jobs
        yield Static("", id="status-sync")
        rejected: DataTable[str] = DataTable(id="rejected", cursor_type="row")
        yield rejected
        yield CounterFooter(compact=True)

    def on_mount(self) -> None:
        self.reload()
        table: DataTable[str] = self.query_one("#print-jobs", DataTable)
        table.focus()
        jobs = self.desk.print_jobs()
        first = next((i for i, j in enumerate(jobs) if j.status == "uncertain"), None)
        if first is not None:  # the question comes first: the cursor is on it
            table.move_cursor(row=first)

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        desk, lang = self.desk, self.lang
        self.query_one("#status-printer", Static).update(
            Text.assemble((self.t("status.jobs") + " ", "bold"), printer_text(desk, lang))
        )
        table: DataTable[str] = self.query_one("#print-jobs", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        for header in (
            "status.col.job",
            "status.col.kind",
            "status.col.printer",
            "status.col.tries",
            "status.col.error",
        ):
            table.add_column(self.t(header))
        question = ""
        for job in desk.print_jobs():
            kind = KIND_LABELS.get(job.kind, (job.kind, job.kind))
            label = pick(kind, lang)
            if job.status == "uncertain":
                state = self.t("status.uncertain", error=job.last_error)
                question = question or self.t(
                    "status.question",
                    job=job.id,
                    kind=label,
                    printer=job.printer,
                    yes=self._key("status.printed"),
                    no=self._key("status.not_printed"),
                )
            elif job.status == "sending":
                state = self.t("status.sending")
            else:
                state = job.last_error or self.t("status.waiting")
            table.add_row(
                str(job.id),
                label + (" *" if job.reprint else ""),
                job.printer,
                str(job.attempts),
                state,
                key=str(job.id),
            )
        self.query_one("#status-question", Static).update(Text(question, style="bold"))
        if table.row_count:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        status = desk.sync_status()
        sync = Text.assemble((self.t("status.sync") + " ", "bold"), sync_text(desk, lang))
        if status.last_error:
            sync.append("\n" + self.t("status.last_error", error=status.last_error), style="red")
        if status.last_success:
            sync.append("\n" + self.t("status.last_success", at=fmt_short(status.last_success)))
        if status.clock_skew_seconds is not None:
            from counter.sync import skew_text  # the sync client (httpx) loads at first use

            sync.append("\n" + skew_text(status.clock_skew_seconds, lang))
        self.query_one("#status-sync", Static).update(sync)
        rejected: DataTable[str] = self.query_one("#rejected", DataTable)
        rejected.clear(columns=True)
        for header in ("status.col.code", "status.col.action", "status.col.reason"):
            rejected.add_column(self.t(header))
        for entry in desk.rejected_entries():
            rejected.add_row(entry.dossier_code, entry.action, entry.reason)

    def _job_id(self) -> int | None:
        table: DataTable[str] = self.query_one("#print-jobs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return int(key) if key else None

    def _do(self, fn: object, *args: object) -> None:
        job_id = self._job_id()
        if job_id is None:
            self.notify(self.t("status.no_job"), timeout=3)
            return
        try:
            assert callable(fn)
            fn(job_id, *args)
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="error")
        self.capp.wake_printer()
        self.reload()

    def action_retry(self) -> None:
        self._do(self.desk.retry_print)

    def action_cancel_job(self) -> None:
        self._do(self.desk.cancel_print)

    def _key(self, binding_id: str) -> str:
        """The key that answers, as configured ("Ctrl+Y"), for the question's text."""
        keymap = getattr(self.app, "_keymap", {})
        return key_label(str(keymap.get(binding_id) or KEYS[binding_id][0]).split(",")[0])

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The "did it print?" answers only while a job waits for one (the footer has no room
        for them otherwise at 80 columns)."""
        if action == "answer":
            return any(j.status == "uncertain" for j in self.desk.print_jobs())
        return True

    def action_answer(self, printed: bool) -> None:
        """The officer's answer for the uncertain job under the cursor (audited)."""
        self._do(self.desk.answer_print, printed)

    def action_move(self) -> None:
        """Send the job to the next configured printer (the spare one)."""
        job_id = self._job_id()
        job = next((j for j in self.desk.print_jobs() if j.id == job_id), None)
        names = [p.name for p in self.desk.config.printers]
        if job is None or len(names) < 2:
            self.notify(self.t("status.no_other_printer"), timeout=4)
            return
        target = (
            names[(names.index(job.printer) + 1) % len(names)] if job.printer in names else names[0]
        )
        self._do(self.desk.redirect_print, target)

    def action_back(self) -> None:
        self.dismiss()
