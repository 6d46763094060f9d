"""Dialogs: F1 help, the "received" confirmation, and the small forms of lifecycle actions.

Action forms validate through a callback into the desk, so a refusal (missing reason, illegal
transition) is shown inside the dialog and the officer can fix it without retyping anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Static, TextArea

from counter.dossiers import Dossier
from counter.timeutil import fmt_vn
from screens.base import CounterModal
from screens.keys import bind, description


class HelpScreen(CounterModal[None]):
    """The keys of the screen underneath, and a few lines on how to use it."""

    BINDINGS = [bind("help.close", "close")]  # noqa: RUF012

    def __init__(self, target: Screen[object]) -> None:
        super().__init__()
        self.target = target

    def compose(self) -> ComposeResult:
        name = type(self.target).__name__
        rows: list[tuple[str, str]] = []
        seen: set[str] = set()
        for _key, active in self.target.active_bindings.items():
            binding = active.binding
            ident = binding.id or binding.action
            if ident in seen or not (binding.show or binding.id):
                continue
            if not binding.id or not active.enabled:
                continue
            seen.add(ident)
            keys = self.app.get_key_display(binding)
            rows.append((keys, description(binding.id, self.lang, binding.description)))
        with Vertical(id="help-box", classes="dialog"):
            yield Static(self.t("help.title", screen=self.t(f"screen.{name}")), classes="title")
            with VerticalScroll(id="help-body"):
                yield Static(self.t(f"guide.{name}"), id="help-guide")
                yield Static(self.t("help.keys"), classes="section")
                table = Text()
                for keys, desc in rows:
                    table.append(f"{keys:>14}  ", style="bold")
                    table.append(desc + "\n")
                yield Static(table, id="help-keys")
                yield Static(self.t("help.common"), classes="hint")
            yield Static(self.t("help.close"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


class ReceivedModal(CounterModal[None]):
    """Shown right after saving: the code, large, for the officer to read out."""

    BINDINGS = [  # noqa: RUF012
        bind("modal.cancel", "close", show=False),
        bind("modal.ok", "close"),
    ]

    def __init__(self, dossier: Dossier) -> None:
        super().__init__()
        self.dossier = dossier

    def compose(self) -> ComposeResult:
        d = self.dossier
        with Vertical(id="received-box", classes="dialog"):
            yield Static(self.t("form.saved"), classes="title")
            yield Static(Text(d.code, style="bold"), id="received-code")
            yield Static(Text(d.applicant.name), id="received-applicant")
            yield Static(
                Text(
                    f"{self.t('form.due')}: {fmt_vn(d.due_at) if d.due_at else '—'}", style="bold"
                ),
                id="received-due",
            )
            yield Static(self.t("form.confirm.hint"), classes="hint")

    def action_close(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    multiline: bool = False
    value: str = ""


Submit = Callable[[dict[str, str]], str | None]


class ActionForm(CounterModal[bool]):
    """A few fields for one lifecycle action; Ctrl+S (or Enter on a one-line field) confirms."""

    BINDINGS = [  # noqa: RUF012
        bind("modal.confirm", "confirm"),
        bind("modal.cancel", "cancel"),
    ]

    def __init__(self, title: str, fields: list[FormField], submit: Submit) -> None:
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit = submit

    def compose(self) -> ComposeResult:
        with Vertical(id="action-box", classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            for f in self.fields:
                yield Label(f.label)
                if f.multiline:
                    yield TextArea(f.value, id=f"field-{f.name}", classes="multi")
                else:
                    yield Input(f.value, id=f"field-{f.name}", compact=True)
            yield Static("", id="action-error", classes="error")
            yield Static(self.t("modal.confirm"), classes="hint")

    def values(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            out[f.name] = widget.text if isinstance(widget, TextArea) else str(widget.value)  # type: ignore[attr-defined]
        return out

    def show_error(self, message: str, field: str | None = None) -> None:
        error = self.query_one("#action-error", Static)
        error.update(Text(message))
        error.display = bool(message)
        if field:
            for widget in self.query(f"#field-{field}"):
                widget.focus()

    def action_confirm(self) -> None:
        problem = self.submit(self.values())
        if problem:
            message, _, field = problem.partition("\x00")
            self.show_error(message, field or None)
            return
        self.dismiss(True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)
