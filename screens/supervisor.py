"""Tổng quan hôm nay: the supervisor's figures, by officer, counter and lĩnh vực, with drill-down.

Every number is a cell of a DataTable; Enter on it opens the list of the dossiers behind it
(`DrillDownScreen`), and Enter there calls the `open_dossier(uuid)` callback the app passes in,
so this module depends on no other screen. Only a supervisor sees figures: anyone else gets
the core's refusal message and nothing else. All data comes from `counter.stats` through the
Desk; the screen never touches SQLite. Words follow the app's language (or the `lang` given).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import ClassVar

from textual._context import NoActiveAppError
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static

from counter import stats
from counter.desk import Desk
from counter.errors import CounterError
from counter.lifecycle import STATUSES
from counter.timeutil import fmt_short
from screens.footer import CounterFooter
from screens.i18n import LANGS, money, pick, tr, weekday
from screens.keys import bind, translate_bindings

OpenDossier = Callable[[str], None]

# Columns of the per-group tables, in order (their words are `sup.group.<key>` in the i18n).
GROUP_COLUMNS = (
    "received",
    "returned",
    "supplement",
    "refused",
    "withdrawn",
    "overdue",
    "early",
    "on_time",
    "late",
)
RATE_COLUMN = "rate"
BAR_WIDTH = 30
REFUSED = tr("vi", "sup.refused")


def screen_lang(node: Screen[None], lang: str | None) -> str:
    """`lang` when given, else the app's language (Vietnamese without an app or a language)."""
    if lang in LANGS:
        return str(lang)
    try:
        found = getattr(node.app, "lang", "vi")
    except NoActiveAppError:  # a screen built outside any app
        found = "vi"
    return found if found in LANGS else "vi"


def group_column_label(key: str, lang: str) -> str:
    return tr(lang, f"sup.group.{key}")


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"


def timeliness_bars(counts: dict[str, int], width: int = BAR_WIDTH, lang: str = "vi") -> str:
    """A bar chart in block characters: trước hạn / đúng hạn / quá hạn."""
    rows = (
        (tr(lang, "sup.bar.early"), counts.get("early", 0)),
        (tr(lang, "sup.bar.on_time"), counts.get("on_time", 0)),
        (tr(lang, "sup.bar.late"), counts.get("late", 0) + counts.get("late_open", 0)),
    )
    top = max((n for _, n in rows), default=0)
    lines = []
    for label, n in rows:
        filled = 0 if top == 0 else round(width * n / top)
        lines.append(f"{label:<10}{'█' * filled}{'░' * (width - filled)} {n}")
    return "\n".join(lines)


class DrillDownScreen(Screen[None]):
    """The dossiers behind one number; Enter opens one (through the callback)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("drilldown.back", "back"),
    ]

    DEFAULT_CSS = """
    DrillDownScreen #drill-title { padding: 0 1; text-style: bold; }
    DrillDownScreen DataTable { height: 1fr; }
    """

    def __init__(
        self,
        title: str,
        rows: list[stats.DrillRow],
        *,
        open_dossier: OpenDossier | None = None,
        lang: str | None = None,
    ) -> None:
        super().__init__()
        self.title_text = title
        self.rows = rows
        self.open_dossier = open_dossier
        self.lang = screen_lang(self, lang)
        translate_bindings(self, self.lang)

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def compose(self) -> ComposeResult:
        yield Static(
            self.t("drill.title", title=self.title_text, n=len(self.rows)), id="drill-title"
        )
        yield DataTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield CounterFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(
            *(
                self.t(key)
                for key in (
                    "col.code",
                    "col.applicant",
                    "col.procedure",
                    "col.status",
                    "drill.received",
                    "col.due",
                    "drill.officer",
                )
            )
        )
        for r in self.rows:
            status = r.status
            if r.status in STATUSES:
                known = STATUSES[r.status]
                status = pick((known.vi, known.en), self.lang)
            table.add_row(
                r.code,
                r.applicant_name,
                r.procedure_name,
                status,
                fmt_short(r.received_at),
                fmt_short(r.due_at) if r.due_at else "—",
                r.officer_name,
                key=r.uuid,
            )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if self.open_dossier is not None and event.row_key.value:
            self.open_dossier(event.row_key.value)

    def action_back(self) -> None:
        self.dismiss()


class SupervisorScreen(Screen[None]):
    """Today at a glance (or any range) for the logged-in supervisor."""

    BINDINGS: ClassVar[list[BindingType]] = [
        bind("supervisor.refresh", "reload"),
        bind("supervisor.export", "export"),
        bind("supervisor.back", "back"),
    ]

    DEFAULT_CSS = """
    SupervisorScreen #sup-title { padding: 0 1; text-style: bold; }
    SupervisorScreen #sup-refused { padding: 1 2; color: $error; text-style: bold; }
    SupervisorScreen #sup-top { height: auto; }
    SupervisorScreen #sup-figures { width: 52; height: auto; max-height: 18; }
    SupervisorScreen #sup-charts { width: 1fr; height: auto; padding: 0 1; }
    SupervisorScreen #sup-hourly { height: 3; margin-bottom: 1; }
    SupervisorScreen .sup-caption { text-style: bold; margin-top: 1; }
    SupervisorScreen .sup-group { height: auto; max-height: 12; }
    """

    def __init__(
        self,
        desk: Desk,
        *,
        open_dossier: OpenDossier | None = None,
        open_export: Callable[[], None] | None = None,
        queue_figures: stats.QueueFiguresProvider | None = None,
        start: date | None = None,
        end: date | None = None,
        refresh_seconds: float = 60.0,
        lang: str | None = None,
    ) -> None:
        super().__init__()
        self.desk = desk
        self.open_dossier = open_dossier
        self.open_export = open_export
        self.queue_figures = queue_figures
        self.start = start
        self.end = end
        self.refresh_seconds = refresh_seconds
        self.figures: stats.Figures | None = None
        self.lang = screen_lang(self, lang)
        translate_bindings(self, self.lang)

    def t(self, key: str, **values: object) -> str:
        return tr(self.lang, key, **values)

    def compose(self) -> ComposeResult:
        yield Static(self.t("sup.title"), id="sup-title")
        yield Static("", id="sup-refused")
        with VerticalScroll(id="sup-body"):
            with Horizontal(id="sup-top"):
                yield DataTable(id="sup-figures", cursor_type="row")
                with Vertical(id="sup-charts"):
                    yield Static(self.t("sup.hourly"), classes="sup-caption")
                    yield Sparkline([], id="sup-hourly")
                    yield Static(self.t("sup.progress"), classes="sup-caption")
                    yield Static("", id="sup-bars")
                    yield Static(self.t("sup.queue"), classes="sup-caption")
                    yield Static("", id="sup-queue")
            for dim in stats.DIMENSIONS:
                label = stats.dimension_label(dim, self.lang)
                yield Static(self.t("sup.by", label=label.lower()), classes="sup-caption")
                yield DataTable(
                    id=f"sup-{dim}", classes="sup-group", cursor_type="cell", zebra_stripes=True
                )
        yield CounterFooter()

    def on_mount(self) -> None:
        refused = self.query_one("#sup-refused", Static)
        try:
            self.desk.require_supervisor("stats.today")  # a refusal is audited by the core
        except CounterError:
            refused.update(self.t("sup.refused"))
            self.query_one("#sup-body").display = False
            return
        refused.display = False
        self.reload()
        if self.refresh_seconds > 0:
            self.set_interval(self.refresh_seconds, self.reload)
        self.query_one("#sup-figures", DataTable).focus()

    # -- data ------------------------------------------------------------------------------

    def _range(self) -> tuple[date, date]:
        today = self.desk.now().date()
        return self.start or today, self.end or self.start or today

    def reload(self) -> None:
        start, end = self._range()
        try:
            self.figures = stats.range_figures(self.desk, start, end, queue=self.queue_figures)
            hourly = stats.hourly_received(self.desk, end)
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="error")
            return
        f = self.figures
        now = f.now
        when = (
            self.t(
                "sup.when",
                weekday=weekday(self.lang, now.weekday()),
                date=f"{now:%d/%m/%Y}",
                time=f"{now:%H:%M}",
            )
            if start == end == now.date()
            else f"{start:%d/%m/%Y} – {end:%d/%m/%Y}"
        )
        title = self.t("sup.title" if start == end == now.date() else "sup.title.range")
        self.query_one("#sup-title", Static).update(f"{title} · {when}")
        self._fill_figures(f)
        self.query_one("#sup-hourly", Sparkline).data = hourly
        self.query_one("#sup-bars", Static).update(
            timeliness_bars(f.counts, lang=self.lang)
            + f"\n{self.t('sup.rate')}: {percent(f.on_time_rate)}"
            + "\n"
            + self.t(
                "sup.fees",
                cash=money(f.fees.cash),
                cashless=money(f.fees.cashless),
                share=percent(f.fees.cashless_share),
                goal=percent(stats.CASHLESS_GOAL),
            )
        )
        self.query_one("#sup-queue", Static).update(self._queue_text(f))
        for dim in stats.DIMENSIONS:
            self._fill_group(dim, f.groups.get(dim, []))

    def _queue_text(self, f: stats.Figures) -> str:
        q = f.queue
        if q is None:
            return f.queue_note_in(self.lang).capitalize()

        def minutes(v: float | None) -> str:
            return "—" if v is None else self.t("sup.minutes", n=v)

        return self.t(
            "sup.queue.text",
            waiting=q.waiting,
            issued=q.issued,
            served=q.served,
            no_shows=q.no_shows,
            wait=minutes(q.average_wait_minutes),
            service=minutes(q.average_service_minutes),
        )

    def _fill_figures(self, f: stats.Figures) -> None:
        table = self.query_one("#sup-figures", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        table.add_column(self.t("sup.col.label"), key="label")
        table.add_column(self.t("sup.col.count"), key="count")
        for fig in stats.FIGURES:
            table.add_row(f.label(fig.key, self.lang), str(f.counts[fig.key]), key=fig.key)
        table.add_row(self.t("sup.rate"), percent(f.on_time_rate), key=RATE_COLUMN)
        if 0 <= cursor < table.row_count:
            table.move_cursor(row=cursor)

    def _fill_group(self, dim: str, rows: list[stats.GroupRow]) -> None:
        table = self.query_one(f"#sup-{dim}", DataTable)
        cursor = table.cursor_coordinate
        table.clear(columns=True)
        table.add_column(stats.dimension_label(dim, self.lang), key="label")
        for key in GROUP_COLUMNS:
            table.add_column(group_column_label(key, self.lang), key=key)
        table.add_column(self.t("sup.col.rate"), key=RATE_COLUMN)
        for g in rows:
            cells = [
                g.label_in(self.lang),
                *(str(g.counts[k]) for k in GROUP_COLUMNS),
                percent(g.on_time_rate),
            ]
            table.add_row(*cells, key=g.key)
        if rows and cursor.row < table.row_count:
            table.cursor_coordinate = cursor

    # -- drill-down ------------------------------------------------------------------------

    def drill(self, figure: str, dimension: str | None = None, key: str | None = None) -> None:
        if self.figures is None or figure not in stats.FIGURE_BY_KEY:
            return
        start, end = self._range()
        try:
            rows = stats.figure_dossiers(
                self.desk, figure, start, end, dimension=dimension, key=key
            )
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="error")
            return
        title = self.figures.label(figure, self.lang)
        if dimension is not None:
            group = next(
                (
                    g.label_in(self.lang)
                    for g in self.figures.groups.get(dimension, [])
                    if g.key == key
                ),
                key,
            )
            title += f" — {stats.dimension_label(dimension, self.lang)}: {group}"
        self.app.push_screen(
            DrillDownScreen(title, rows, open_dossier=self.open_dossier, lang=self.lang)
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "sup-figures" and event.row_key.value:
            event.stop()
            self.drill(event.row_key.value)

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        table_id = event.data_table.id or ""
        if not table_id.startswith("sup-") or table_id == "sup-figures":
            return
        event.stop()
        dim = table_id.removeprefix("sup-")
        column = event.cell_key.column_key.value
        row = event.cell_key.row_key.value
        if column in ("label", RATE_COLUMN):
            column = "received"
        if column and row:
            self.drill(column, dim, row)

    # -- actions ---------------------------------------------------------------------------

    def action_reload(self) -> None:
        if self.figures is not None:
            self.reload()

    def action_export(self) -> None:
        if self.open_export is not None:
            self.open_export()

    def action_back(self) -> None:
        self.dismiss()
