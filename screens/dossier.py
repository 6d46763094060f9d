"""One dossier: every field, its documents, due date, overdue flag and timeline.

No printable key acts here: the lifecycle actions and the reprint sit in an action menu
behind Ctrl+X (its letters work only inside it), so text meant for a form or a scanner's burst
can never change the dossier or print. The menu offers what `allowed_actions(status)` allows;
the actions that end the dossier are confirmed with its code shown, and the last reversible
one can be taken back with Ctrl+Z. A refusal by the desk (the dossier changed elsewhere, a
missing reason) is shown as an error line and changes nothing.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static

from counter.catalogue import delivery_label, form_label
from counter.dossiers import Dossier, fmt_birth_date, payment_state_label, sex_label
from counter.errors import CounterError, InvalidInput
from counter.lifecycle import (
    ACTIONS,
    REVERSIBLE,
    STATUSES,
    TERMINAL_ACTIONS,
    allowed_actions,
    status_label,
)
from counter.timeliness import label as timeliness_label
from counter.timeutil import fmt_short, fmt_vn
from screens.base import CounterScreen
from screens.footer import CounterFooter
from screens.i18n import money, pick
from screens.keys import KEYS, bind, key_label
from screens.modals import ActionForm, ActionMenu, FormField, MenuItem
from screens.queue_keys import QueueKeys
from screens.queue_panel import queue_bindings

# Timeline events that came from the portal (back office), not from this counter.
CENTRAL_EVENTS = {
    "portal.status": ("Cập nhật từ cổng dịch vụ công", "Updated by the back office"),
    "portal.correction": ("Đính chính từ cổng dịch vụ công", "Corrected by the back office"),
    "portal.rating": ("Công dân đánh giá", "Citizen's rating"),
    "undo": ("Hoàn tác thao tác trước", "Previous action undone"),
}


class DossierScreen(QueueKeys, CounterScreen):
    """Detail of one dossier, with the actions its status allows (in the Ctrl+X menu)."""

    BINDINGS = [  # noqa: RUF012
        bind("dossier.actions", "menu"),
        bind("dossier.undo", "undo"),
        bind("dossier.back", "back"),
        bind("dossier.new", "new_dossier", key_display="F2"),
        *queue_bindings(),
    ]

    def __init__(self, dossier: Dossier) -> None:
        super().__init__()
        self.dossier = dossier

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-title", classes="screen-title")
        yield Static("", id="detail-actions", classes="hint")
        yield Static("", id="detail-paused")
        yield Static("", id="detail-error", classes="error")
        with VerticalScroll(id="detail-scroll"), Horizontal(id="detail-columns"):
            with Vertical(classes="column"):
                yield Static("", id="detail-main")
                yield Static("", id="detail-applicant")
            with Vertical(classes="column"):
                yield Static("", id="detail-documents")
                yield Static("", id="detail-timeline")
        yield CounterFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#detail-error", Static).display = False
        self.render_dossier()

    def on_screen_resume(self) -> None:
        self.reload()

    def reload(self) -> None:
        self.dossier = self.desk.get(self.dossier.uuid)
        self.render_dossier()

    # -- rendering -------------------------------------------------------------------------

    def _kv(self, text: Text, key: str, value: str, style: str = "") -> None:
        if value:
            text.append(f"{self.t(key)}: ", style="bold")
            text.append(value + "\n", style=style)

    def render_dossier(self) -> None:
        d = self.dossier
        lang = self.lang
        now = self.desk.now()
        overdue = d.is_overdue(now)
        title = Text(self.t("detail.title", code=d.code), style="bold")
        title.append("  ")
        title.append(f" {status_label(d.status, lang)} ", style="reverse")
        if overdue:
            title.append("  ")
            title.append(f" {self.t('detail.overdue')} ", style="bold white on red")
        self.query_one("#detail-title", Static).update(title)
        self.query_one("#detail-actions", Static).update(self.actions_line())
        paused = self.query_one("#detail-paused", Static)
        paused.display = d.status == "supplement_requested" and d.paused_at is not None
        if d.paused_at is not None:
            paused.update(self.t("detail.paused", at=fmt_short(d.paused_at)))

        main = Text()
        self._kv(main, "detail.procedure", f"{d.procedure_code} · {d.procedure_name}")
        self._kv(main, "detail.field", d.field)
        self._kv(main, "detail.received", fmt_vn(d.received_at, lang))
        due = "—" if d.due_at is None else fmt_vn(d.due_at, lang)
        judged = timeliness_label(d.timeliness(now), lang)
        due += f"  ({judged})" if judged else ""
        self._kv(main, "detail.due", due, "bold red" if overdue else "bold")
        self._kv(main, "detail.officer", d.officer_name)
        fee = money(d.fee_amount) + " đ" if d.fee_amount else self.t("form.fee.free")
        self._kv(main, "detail.fee", f"{fee} · {payment_state_label(d.payment_state, lang)}")
        self._kv(main, "detail.delivery", delivery_label(d.delivery, lang))
        self._kv(main, "detail.sets", str(d.sets_count))
        self._kv(main, "detail.returned_to", d.returned_to)
        self._kv(main, "detail.closed_reason", d.closed_reason)
        self._kv(main, "detail.note", d.note)
        self.query_one("#detail-main", Static).update(main)

        a = d.applicant
        person = Text()
        person.append(f"{self.t('detail.applicant')}", style="bold underline")
        person.append(f" ({self.t('detail.kind.' + a.kind)})\n")
        person.append(a.name + "\n", style="bold")
        self._kv(person, "detail.id", a.id_number)
        self._kv(person, "detail.birth", fmt_birth_date(a.birth_date))
        self._kv(person, "detail.sex", sex_label(a.sex, self.lang))
        self._kv(person, "detail.phone", a.phone)
        self._kv(person, "detail.email", a.email)
        self._kv(person, "detail.address", a.address)
        if d.representative is not None:
            r = d.representative
            person.append(f"{self.t('detail.rep')}\n", style="bold underline")
            person.append(r.name + "\n", style="bold")
            self._kv(person, "detail.id", r.id_number)
            self._kv(person, "detail.phone", r.phone)
            self._kv(person, "form.rep.paper", r.paper)
        self.query_one("#detail-applicant", Static).update(person)

        docs = Text()
        docs.append(self.t("detail.documents") + "\n", style="bold underline")
        for i, item in enumerate(d.documents, 1):
            mark = "✓" if item.received else "✗"
            docs.append(f"{i}. {mark} ", style="green" if item.received else "red")
            docs.append(item.name)
            docs.append(f" — {form_label(item.form, lang)} ×{item.count}\n", style="italic")
        self.query_one("#detail-documents", Static).update(docs)

        timeline = Text()
        timeline.append(self.t("detail.timeline") + "\n", style="bold underline")
        for event in self.desk.timeline(d.uuid):
            action = ACTIONS.get(event.action)
            if action is not None:
                name = pick((action.vi, action.en), lang)
            else:
                vi, en = CENTRAL_EVENTS.get(event.action, (event.action, event.action))
                name = pick((vi, en), lang)
            timeline.append(f"{fmt_short(event.at)}  ", style="bold")
            timeline.append(name)
            if event.officer_name:
                timeline.append(f" · {event.officer_name}", style="dim")
            timeline.append("\n")
            for key in ("items", "reason", "to"):
                value = event.details.get(key)
                if isinstance(value, list):
                    for item in value:
                        timeline.append(f"    – {item}\n", style="italic")
                elif value:
                    timeline.append(f"    {value}\n", style="italic")
        self.query_one("#detail-timeline", Static).update(timeline)
        self.refresh_bindings()

    def _key(self, binding_id: str) -> str:
        keymap = getattr(self.app, "_keymap", {})
        return str(keymap.get(binding_id) or KEYS[binding_id][0]).split(",")[0]

    def actions_line(self) -> Text:
        """The menu key and what it offers now; the footer may be too narrow to say it."""
        allowed = allowed_actions(self.dossier.status)
        line = Text()
        line.append(f" {key_label(self._key('dossier.actions'))} ", style="bold reverse")
        line.append(f" {self.t('detail.menu')} ", style="bold")
        if not allowed:
            line.append(self.t("detail.no_actions"), style="italic")
            return line
        line.append(" · ".join(pick((a.vi, a.en), self.lang) for a in allowed))
        return line

    def menu_items(self) -> list[MenuItem]:
        items: list[MenuItem] = []
        for action in allowed_actions(self.dossier.status):
            label = pick((action.vi, action.en), self.lang)
            items.append(MenuItem(action.key, self._key(f"dossier.{action.key}"), label))
        if self.dossier.payment_state == "to_pay_transfer":
            items.append(MenuItem("paid", self._key("dossier.paid"), self.t("menu.paid")))
        items.append(MenuItem("preview", self._key("dossier.preview"), self.t("menu.preview")))
        items.append(MenuItem("reprint", self._key("dossier.reprint"), self.t("menu.reprint")))
        return items

    # -- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.queue_action_allowed(action)

    def action_menu(self) -> None:
        title = self.t("menu.title", code=self.dossier.code)
        self.app.push_screen(ActionMenu(title, self.menu_items()), self.menu_chosen)

    def menu_chosen(self, choice: str | None) -> None:
        if choice is None:
            return
        if choice == "preview":
            self.action_preview()
        elif choice == "reprint":
            self.action_reprint()
        elif choice == "paid":
            self.confirm_paid()
        elif choice in ACTIONS:
            self.action_act(choice)

    def action_undo(self) -> None:
        try:
            self.dossier, undone = self.desk.undo(self.dossier.uuid)
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="warning", timeout=4)
            return
        self.show_error("")
        self.render_dossier()
        name = pick((ACTIONS[undone].vi, ACTIONS[undone].en), self.lang)
        self.notify(self.t("detail.undone", action=name), timeout=4)

    def action_new_dossier(self) -> None:
        self.capp.action_new_dossier()

    def show_error(self, message: str) -> None:
        error = self.query_one("#detail-error", Static)
        error.update(Text(message))
        error.display = bool(message)

    def apply(self, action: str, **details: Any) -> str | None:
        """Ask the desk; return the refusal text (and the field) or None when done."""
        try:
            self.desk.act(self.dossier.uuid, action, **details)
        except InvalidInput as exc:
            return f"{exc.message(self.lang)}\x00{exc.field}"
        except CounterError as exc:
            return exc.message(self.lang)
        self.show_error("")
        self.reload()
        name = pick((ACTIONS[action].vi, ACTIONS[action].en), self.lang)
        if action in REVERSIBLE:
            message = self.t("detail.undo_hint", action=name, keys=self._key("dossier.undo"))
        else:
            message = self.t("detail.done", action=name)
        self.notify(message, timeout=5)
        return None

    def action_act(self, action: str) -> None:
        spec = ACTIONS[action]
        title = f"{spec.en if self.lang == 'en' else spec.vi} — {self.dossier.code}"
        fields: list[FormField] = []
        convert: dict[str, Any] = {}
        if action == "request_supplement":
            fields = [
                FormField("items", self.t("modal.items"), multiline=True),
                FormField("reason", self.t("modal.reason")),
            ]
            convert["items"] = lambda v: [line.strip() for line in v.splitlines() if line.strip()]
        elif action == "refuse":
            fields = [FormField("reason", self.t("modal.reasons"), multiline=True)]
            convert["reason"] = lambda v: "\n".join(
                line.strip() for line in v.splitlines() if line.strip()
            )
        elif action == "return_result":
            fields = [FormField("to", self.t("modal.to"), value=self.dossier.applicant.name)]
        elif action in ("withdraw", "stop"):
            fields = [FormField("reason", self.t("modal.reason"))]
        elif action == "extend":  # Mẫu 04: the new date and why
            fields = [
                FormField("new_day", self.t("modal.new_day")),
                FormField("reason", self.t("modal.delay_reason")),
            ]
        if not fields:
            problem = self.apply(action)
            if problem:
                self.show_error(problem.partition("\x00")[0])
                self.notify(problem.partition("\x00")[0], severity="error", timeout=5)
            return

        def submit(values: dict[str, str]) -> str | None:
            details = {k: convert.get(k, str.strip)(v) for k, v in values.items()}
            return self.apply(action, **details)

        warning = ""
        if action in TERMINAL_ACTIONS:
            target = STATUSES[str(spec.target)]
            status = pick((target.vi, target.en), self.lang)
            warning = self.t("detail.final", code=self.dossier.code, status=status)
        self.app.push_screen(ActionForm(title, fields, submit, warning=warning))

    def action_back(self) -> None:
        self.dismiss()

    def action_preview(self) -> None:
        from screens.status import ReceiptPreview

        self.app.push_screen(ReceiptPreview(self.dossier))

    def action_reprint(self) -> None:
        self.capp.reprint_receipt(self.dossier)

    def confirm_paid(self) -> None:
        """Recording a payment cannot be undone: ask first (the safe answer comes first)."""
        items = [
            MenuItem("no", "1", self.t("paid.no")),
            MenuItem("yes", "2", self.t("paid.yes")),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "yes":
                self.action_paid()

        title = self.t("paid.title", code=self.dossier.code)
        self.app.push_screen(ActionMenu(title, items), chosen)

    def action_paid(self) -> None:
        """The transfer arrived: the fee is paid, the portal stops asking for it."""
        try:
            self.desk.confirm_transfer(self.dossier.uuid)
        except CounterError as exc:
            self.notify(exc.message(self.lang), severity="error", timeout=5)
            return
        self.reload()
        self.refresh_bindings()
        self.notify(self.t("detail.paid"), timeout=3)
