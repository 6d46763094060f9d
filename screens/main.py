"""The main screen: today's dossiers, newest first, and the status bar.

The list is re-read from the desk whenever the screen comes back to the front, so it always
shows what the store holds (the core is the only source of truth).
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from counter.auth import ROLE_LABELS
from counter.desk import DossierPage
from screens.base import CounterScreen
from screens.footer import CounterFooter
from screens.keys import bind
from screens.queue_keys import QueueKeys
from screens.queue_panel import QueuePanel, queue_bindings
from screens.status import printer_text, sync_text
from screens.widgets import StatusBar, fill_dossier_table

PAGE_SIZE = 20


class MainScreen(QueueKeys, CounterScreen):
    """Today's list; Enter opens the highlighted dossier, F2 starts a new one."""

    BINDINGS = [  # noqa: RUF012
        bind("dossier.new", "new_dossier", key_display="F2"),
        bind("main.refresh", "reload", show=False),
        bind("main.next_page", "page(1)", priority=True, show=False),
        bind("main.prev_page", "page(-1)", priority=True, show=False),
        *queue_bindings(),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.page = 0
        self.result: DossierPage | None = None
        self._wide: bool | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="main-title", classes="screen-title")
        table: DataTable[Text] = DataTable(id="today", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static("", id="main-info", classes="hint")
        if self.capp.queue is not None:
            yield QueuePanel(self.capp.queue, lang=self.lang)
        yield StatusBar(id="status-bar")
        yield CounterFooter(compact=True)

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#today", DataTable).focus()

    def on_screen_resume(self) -> None:
        self.reload()
        self.capp.prebuild_intake_soon()  # F2 then opens a form already built

    def on_resize(self, event: events.Resize) -> None:
        wide = event.size.width >= 120
        if wide != self._wide:
            self._wide = wide
            self.call_after_refresh(self.reload)

    def update_status(self) -> None:
        bar = self.query_one(StatusBar)
        officer = self.desk.officer
        bar.lang = self.lang
        if officer is not None:
            bar.officer = officer.full_name
            vi, en = ROLE_LABELS.get(officer.role, (officer.role, officer.role))
            bar.role = en if self.lang == "en" else vi
        bar.counter_no = self.desk.config.counter.number
        bar.printer = printer_text(self.desk, self.lang)
        bar.sync = sync_text(self.desk, self.lang)

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Re-read today's page from the desk and redraw, keeping the cursor on its row."""
        desk = self.desk
        if desk.officer is None:
            return
        now = desk.now()
        self.query_one("#main-title", Static).update(self.t("main.title", date=f"{now:%d/%m/%Y}"))
        result = desk.today(self.page, PAGE_SIZE)
        if not result.dossiers and self.page > 0:
            self.page = 0
            result = desk.today(0, PAGE_SIZE)
        self.result = result
        table: DataTable[Text] = self.query_one("#today", DataTable)
        cursor = table.cursor_row
        fill_dossier_table(
            table, result.dossiers, now, self.lang, wide=self.size.width >= 120, with_date=False
        )
        if result.dossiers:
            table.move_cursor(row=min(cursor, len(result.dossiers) - 1))
        pages = max((result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        info = (
            self.t("main.page", page=self.page + 1, pages=pages, total=result.total)
            if result.total
            else self.t("main.empty")
        )
        self.query_one("#main-info", Static).update(info)
        self.update_status()

    def action_page(self, delta: int) -> None:
        if self.result is None:
            return
        pages = max((self.result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(self.page + delta, 0), pages - 1)
        if page != self.page:
            self.page = page
            self.query_one("#today", DataTable).move_cursor(row=0)
            self.reload()

    def action_new_dossier(self) -> None:
        self.capp.action_new_dossier()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.queue_action_allowed(action)

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            await self.capp.open_dossier_uuid(event.row_key.value)
