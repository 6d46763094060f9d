"""Small widgets shared by the screens: the status bar, the dossier table, the checklist.

The status bar keeps printer and sync state in reactive fields so the background workers that
come later only assign values; the table adapts its columns to the terminal width so nothing
essential is clipped at 80 columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DataTable, OptionList
from textual.widgets.option_list import Option

from counter.catalogue import DOCUMENT_FORMS, form_label
from counter.dossiers import DocumentItem, Dossier
from counter.timeutil import to_vn
from screens.i18n import tr
from screens.keys import bind


def clip(text: str, width: int) -> str:
    """Cut to `width` cells with an ellipsis, so a long name never pushes a column away."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class StatusBar(Widget):
    """Who is logged in at which counter, and the state of the printer and of sync."""

    officer: reactive[str] = reactive("")
    role: reactive[str] = reactive("")
    counter_no: reactive[int] = reactive(0)
    printer: reactive[str | Text] = reactive("")
    sync: reactive[str | Text] = reactive("")
    lang: reactive[str] = reactive("vi")

    def render(self) -> Text:
        sep = ("  │  ", "dim")
        parts: list[str | Text | tuple[str, str]] = []
        if self.officer:
            parts += [(self.officer, "bold"), f" ({self.role})", sep]
        parts += [(tr(self.lang, "app.counter", n=self.counter_no), "bold"), sep]
        parts += [self.printer or tr(self.lang, "app.printer_preview"), sep]
        parts.append(self.sync or tr(self.lang, "app.sync_off"))
        return Text.assemble(*parts)


def dossier_columns(lang: str, wide: bool, with_date: bool) -> list[tuple[str, str, int | None]]:
    """(key, header, width); wide terminals get the full code and the procedure."""
    cols: list[tuple[str, str, int | None]] = [
        ("code", tr(lang, "col.code"), 27 if wide else 13),
        (
            "received",
            tr(lang, "col.received"),
            16 if with_date and wide else 8,
        ),
        ("applicant", tr(lang, "col.applicant"), 22 if wide else 16),
    ]
    if wide:
        cols.append(("procedure", tr(lang, "col.procedure"), None))
    cols += [
        ("status", tr(lang, "col.status"), 18),
        ("due", tr(lang, "col.due"), 18 if wide else 13),
    ]
    return cols


def fill_dossier_table(
    table: DataTable[Text],
    dossiers: Sequence[Dossier],
    now: datetime,
    lang: str,
    *,
    wide: bool,
    with_date: bool = False,
) -> None:
    """Re-fill `table` (rows keyed by dossier UUID); overdue rows are shown in red."""
    table.clear(columns=True)
    cols = dossier_columns(lang, wide, with_date)
    fixed = sum(w or 0 for _k, _h, w in cols) + 2 * len(cols) + 2
    proc_width = max(table.size.width - fixed, 12) if table.size.width else 12
    for key, header, width in cols:
        table.add_column(header, key=key, width=width or proc_width)
    for d in dossiers:
        overdue = d.is_overdue(now)
        style = "bold red" if overdue else ""
        received = to_vn(d.received_at)
        due = to_vn(d.due_at) if d.due_at is not None else None
        values: dict[str, str] = {
            "code": d.code if wide else d.code.split("-", 1)[-1],
            "received": (
                f"{received:%d/%m/%Y %H:%M}"
                if with_date and wide
                else f"{received:%d/%m}"
                if with_date
                else f"{received:%H:%M}"
            ),
            "applicant": d.applicant.name,
            "procedure": d.procedure_name,
            "status": d.status_label(lang),
            "due": ("⚠ " if overdue else "  ")
            + ("—" if due is None else f"{due:%d/%m/%Y %H:%M}" if wide else f"{due:%d/%m %H:%M}"),
        }
        row = []
        for key, _header, width in cols:
            row.append(Text(clip(values[key], width or proc_width), style=style))
        table.add_row(*row, key=d.uuid)


class DocumentList(OptionList):
    """The documents checklist: space ticks received, +/- change the count, o the form."""

    BINDINGS = [  # noqa: RUF012
        bind("docs.toggle", "toggle_received", show=False),
        bind("docs.more", "count(1)", key_display="+", show=False),
        bind("docs.less", "count(-1)", key_display="-", show=False),
        bind("docs.form", "cycle_form", show=False),
    ]

    def __init__(self, lang: str = "vi", **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.lang = lang
        self.items: list[DocumentItem] = []

    def set_items(self, items: Sequence[DocumentItem]) -> None:
        self.items = list(items)
        self._render_items(0)

    def _prompt(self, item: DocumentItem) -> Text:
        mark = "[x]" if item.received else "[ ]"
        text = Text.assemble(
            (mark + " ", "bold green" if item.received else "bold red"),
            item.name,
            (f"  — {form_label(item.form, self.lang)} ×{item.count}", "italic"),
        )
        if item.required:
            text.append(" *", "bold")
        return text

    def _render_items(self, highlight: int | None) -> None:
        self.set_options(Option(self._prompt(d)) for d in self.items)
        if self.items:
            self.highlighted = min(highlight or 0, len(self.items) - 1)

    def _change(self, fn: object) -> None:
        index = self.highlighted
        if index is None or not self.items:
            return
        assert callable(fn)
        self.items[index] = fn(self.items[index])
        self.replace_option_prompt_at_index(index, self._prompt(self.items[index]))

    def action_toggle_received(self) -> None:
        self._change(lambda d: replace(d, received=not d.received))

    def action_count(self, delta: int) -> None:
        self._change(lambda d: replace(d, count=min(max(d.count + delta, 1), 99)))

    def action_cycle_form(self) -> None:
        def cycle(d: DocumentItem) -> DocumentItem:
            forms = list(DOCUMENT_FORMS)
            index = forms.index(d.form) if d.form in forms else -1
            return replace(d, form=forms[(index + 1) % len(forms)])

        self._change(cycle)
