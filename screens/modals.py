"""Dialogs: F1 help, the "received" confirmation, and the small forms of lifecycle actions.

Action forms validate through a callback into the desk, so a refusal (missing reason, illegal
transition) is shown inside the dialog and the officer can fix it without retyping anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Digits, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from counter.dossiers import Dossier
from counter.timeutil import fmt_vn
from screens.base import CounterModal
from screens.keys import KEYS, bind, description, key_label


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


class ReceivedModal(CounterModal[str | None]):
    """Shown right after saving: the code, large, for the officer to read out; then one key
    to the next citizen (Enter), the dossier one key away, Esc back to the list."""

    BINDINGS = [  # noqa: RUF012
        bind("received.next", "choose('next')"),
        bind("received.open", "choose('open')"),
        bind("received.close", "choose('close')"),
    ]

    def __init__(self, dossier: Dossier) -> None:
        super().__init__()
        self.dossier = dossier

    def compose(self) -> ComposeResult:
        d = self.dossier
        number = d.code.rsplit("-", 1)[-1]
        keymap = getattr(self.app, "_keymap", {})
        open_key = str(keymap.get("received.open") or KEYS["received.open"][0]).split(",")[0]
        with Vertical(id="received-box", classes="dialog"):
            yield Static(self.t("form.saved"), classes="title")
            with Vertical(id="received-code"):
                yield Static(Text(d.code, style="bold"), id="received-full")
                yield Digits(number, id="received-number")
            yield Static(Text(d.applicant.name), id="received-applicant")
            yield Static(
                Text(
                    f"{self.t('form.due')}: {fmt_vn(d.due_at, self.lang) if d.due_at else '—'}",
                    style="bold",
                ),
                id="received-due",
            )
            yield Static(self.t("form.confirm.hint", open=key_label(open_key)), classes="hint")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


@dataclass(frozen=True)
class MenuItem:
    """One entry of an action menu: what it returns, its one-letter key, what it says."""

    key: str
    hotkey: str
    label: str


class ActionMenu(CounterModal[str | None]):
    """A short list of actions, one letter each, reached only through a modifier key.

    Stray typing can never reach it, and even inside it a printable key that is not one of
    its letters closes it unchosen, so the rest of a burst (a scanned card, a sentence meant
    for a form) falls on the screen underneath, where letters do nothing."""

    BINDINGS = [bind("modal.cancel", "cancel")]  # noqa: RUF012

    def __init__(self, title: str, items: list[MenuItem]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(id="menu-box", classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            yield OptionList(
                *(
                    Option(Text.assemble((f" {i.hotkey} ", "bold reverse"), " ", i.label), id=i.key)
                    for i in self.items
                ),
                id="menu-options",
            )
            yield Static(self.t("menu.hint"), classes="hint")

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def on_key(self, event: events.Key) -> None:
        if not (event.is_printable and event.character) or event.key == "space":
            return
        event.stop()
        event.prevent_default()
        chosen = next((i.key for i in self.items if i.hotkey == event.character.lower()), None)
        self.dismiss(chosen)

    def action_cancel(self) -> None:
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

    def __init__(
        self, title: str, fields: list[FormField], submit: Submit, *, warning: str = ""
    ) -> None:
        """`warning` marks an action that cannot be undone: it is shown above the fields, and
        only Ctrl+S confirms (Enter in a field never does)."""
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.submit = submit
        self.warning = warning

    def compose(self) -> ComposeResult:
        from textual.widgets import TextArea  # loaded by the first form that has one (#18)

        with Vertical(id="action-box", classes="dialog"):
            yield Static(Text(self.title_text), classes="title")
            if self.warning:
                yield Static(Text(self.warning), id="action-warning", classes="warning")
            for f in self.fields:
                yield Label(f.label)
                if f.multiline:
                    yield TextArea(f.value, id=f"field-{f.name}", classes="multi")
                else:
                    yield Input(f.value, id=f"field-{f.name}", compact=True)
            yield Static("", id="action-error", classes="error")
            yield Static(self.t("modal.confirm"), classes="hint")

    def values(self) -> dict[str, str]:
        from textual.widgets import TextArea

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
        if self.warning:
            self.focus_next()
            return
        self.action_confirm()

    def action_cancel(self) -> None:
        self.dismiss(False)
