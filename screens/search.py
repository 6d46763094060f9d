"""Search from anywhere: code, name (diacritics optional: the desk folds them), ID or phone."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Input, Static

from counter.desk import DossierPage
from screens.base import CounterScreen
from screens.fields import FieldInput
from screens.footer import CounterFooter
from screens.keys import bind
from screens.scan import looks_scanned
from screens.widgets import fill_dossier_table

PAGE_SIZE = 20


class SearchScreen(CounterScreen):
    """Results update as the officer types; PageDown/PageUp page, Enter opens."""

    BINDINGS = [  # noqa: RUF012
        bind("search.next_page", "page(1)", priority=True, key_display="PgDn"),
        bind("search.prev_page", "page(-1)", priority=True, key_display="PgUp"),
        bind("search.results", "results", show=False),
        bind("search.back", "back"),
    ]

    def __init__(self, query: str = "") -> None:
        super().__init__()
        self.query_text = query
        self.page = 0
        self.result: DossierPage | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.t("search.title"), classes="screen-title")
        yield FieldInput(
            value=self.query_text,
            placeholder=self.t("search.placeholder"),
            id="search-input",
        )
        table: DataTable[Text] = DataTable(id="search-results", cursor_type="row")
        yield table
        yield Static(self.t("search.prompt"), id="search-info", classes="hint")
        yield CounterFooter()

    def on_mount(self) -> None:
        self.query_one("#search-input", Input).focus()
        self.run_search()

    def on_screen_resume(self) -> None:
        self.run_search()

    def focus_input(self) -> None:
        field = self.query_one("#search-input", Input)
        field.focus()
        field.select_all()

    def run_search(self) -> None:
        query = self.query_one("#search-input", Input).value
        info = self.query_one("#search-info", Static)
        table: DataTable[Text] = self.query_one("#search-results", DataTable)
        if not query.strip():
            self.result = None
            table.clear(columns=True)
            info.update(self.t("search.prompt"))
            return
        result = self.desk.search(query, self.page, PAGE_SIZE)
        if not result.dossiers and self.page > 0:
            self.page = 0
            result = self.desk.search(query, 0, PAGE_SIZE)
        self.result = result
        fill_dossier_table(
            table,
            result.dossiers,
            self.desk.now(),
            self.lang,
            wide=self.size.width >= 120,
            with_date=True,
        )
        if not result.total:
            info.update(self.t("search.none"))
        else:
            pages = max((result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
            info.update(self.t("search.page", page=self.page + 1, pages=pages, total=result.total))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.page = 0
        self.run_search()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if looks_scanned(event.value):
            return  # the app opens scanned receipts
        event.stop()
        await self.open_current()

    async def open_current(self) -> None:
        table: DataTable[Text] = self.query_one("#search-results", DataTable)
        if self.result is None or not self.result.dossiers or table.row_count == 0:
            return
        row = min(table.cursor_row, len(self.result.dossiers) - 1)
        await self.capp.open_dossier_uuid(self.result.dossiers[row].uuid)

    async def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value is not None:
            await self.capp.open_dossier_uuid(event.row_key.value)

    def action_results(self) -> None:
        table = self.query_one("#search-results", DataTable)
        if table.row_count:
            table.focus()

    def action_page(self, delta: int) -> None:
        if self.result is None:
            return
        pages = max((self.result.total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(max(self.page + delta, 0), pages - 1)
        if page != self.page:
            self.page = page
            self.run_search()

    def action_back(self) -> None:
        self.dismiss()
