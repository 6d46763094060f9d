"""Receiving a dossier, keyboard only, in under a minute.

Tab order follows the paper: procedure (type-ahead, Enter picks), name, ID, phone, email,
address, then the checklist (already filled from the procedure), sets, payment, delivery, note.
Each field is checked when it loses focus with the same validation functions the desk uses, so
the message under the field is the one a save would give; Ctrl+S saves, and a refusal focuses
the field it names.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from counter import validation
from counter.catalogue import Procedure, delivery_label
from counter.dossiers import (
    PAYMENT_METHODS,
    Applicant,
    Dossier,
    DossierDraft,
    Representative,
    documents_from_procedure,
    missing_documents,
)
from counter.errors import CounterError, InvalidInput
from counter.timeutil import fmt_vn
from screens.base import CounterScreen
from screens.fields import FieldInput
from screens.footer import CounterFooter
from screens.i18n import money
from screens.keys import bind
from screens.modals import ActionForm, FormField, ReceivedModal
from screens.scan import looks_scanned
from screens.widgets import DocumentList

# The desk's InvalidInput.field → the widget that shows it.
FIELD_WIDGETS = {
    "procedure": "procedure",
    "applicant.kind": "applicant-kind",
    "applicant.name": "applicant-name",
    "applicant.id_number": "applicant-id",
    "applicant.phone": "applicant-phone",
    "applicant.email": "applicant-email",
    "applicant.address": "applicant-address",
    "representative.name": "rep-name",
    "representative.id_number": "rep-id",
    "representative.phone": "rep-phone",
    "documents": "documents",
    "sets_count": "sets",
    "payment_method": "payment",
    "fee_amount": "payment",
    "delivery": "delivery",
}


def widget_for(field: str) -> str:
    if field.startswith("documents"):
        return "documents"
    return FIELD_WIDGETS.get(field, "procedure")


def parse_sets(raw: str) -> int:
    text = raw.strip()
    if not text.isdigit() or not 1 <= int(text) <= 20:
        raise InvalidInput("sets_count", "Số bộ hồ sơ phải từ 1 đến 20", "Sets must be 1–20")
    return int(text)


class ProcedurePicker(Vertical):
    """An Input with a list of matches under it; arrows move, Enter picks."""

    BINDINGS = [  # noqa: RUF012
        bind("picker.down", "move(1)", show=False),
        bind("picker.up", "move(-1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield FieldInput(id="procedure", compact=True)
        options = OptionList(id="procedure-options")
        options.can_focus = False
        yield options

    def action_move(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if not options.option_count:
            return
        current = options.highlighted if options.highlighted is not None else -1
        options.highlighted = min(max(current + delta, 0), options.option_count - 1)


class IntakeScreen(CounterScreen):
    """The new-dossier form."""

    BINDINGS = [  # noqa: RUF012
        bind("dossier.save", "save", priority=True),
        bind("form.kind", "toggle_kind", show=False),
        bind("form.representative", "toggle_rep"),
        bind("form.intake_supplement", "decline('supplement')", priority=True),
        bind("form.intake_refuse", "decline('refusal')", priority=True),
        bind("form.cancel", "cancel"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.procedure: Procedure | None = None
        self.matches: list[Procedure] = []
        self.problem_field = ""

    # -- layout ----------------------------------------------------------------------------

    def _field(self, widget_id: str, text: str, placeholder: str = "") -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(text, classes="field-label", id=f"{widget_id}-label")
            yield FieldInput(id=widget_id, placeholder=placeholder, compact=True)
        yield Static("", id=f"{widget_id}-error", classes="error field-error")

    def compose(self) -> ComposeResult:
        t = self.t
        yield Static(t("form.title"), classes="screen-title")
        with VerticalScroll(id="form-scroll"), Horizontal(id="form-columns"):
            with Vertical(classes="column", id="form-left"):
                yield Static(t("form.procedure"), classes="section")
                yield ProcedurePicker(id="picker")
                yield Static(t("form.procedure.none"), id="procedure-chosen")
                yield Static("", id="procedure-error", classes="error field-error")
                yield Static(f"{t('form.due')}: {t('form.due.none')}", id="due")
                yield Static(t("form.applicant"), classes="section")
                yield from self._field("applicant-name", t("form.name.person"))
                yield from self._field("applicant-id", t("form.id.person"), "12 chữ số")
                yield from self._field("applicant-phone", t("form.phone"), "09xxxxxxxx")
                yield from self._field("applicant-email", t("form.email"))
                yield from self._field("applicant-address", t("form.address"))
                yield Checkbox(t("form.organisation"), id="applicant-kind", compact=True)
                yield Static(t("form.rep.toggle"), id="rep-hint", classes="hint")
                with Vertical(id="rep"):
                    yield Static(t("form.rep"), classes="section")
                    yield from self._field("rep-name", t("form.rep.name"))
                    yield from self._field("rep-id", t("form.rep.id"), "12 chữ số")
                    yield from self._field("rep-phone", t("form.rep.phone"))
                    yield from self._field("rep-paper", t("form.rep.paper"))
            with Vertical(classes="column", id="form-right"):
                yield Static(t("form.documents"), classes="section")
                yield Static(t("form.documents.hint"), classes="hint")
                yield DocumentList(self.lang, id="documents")
                yield Static("", id="documents-error", classes="error field-error")
                yield from self._field("sets", t("form.sets"))
                with Horizontal(classes="field"):
                    yield Label(t("form.payment"), classes="field-label")
                    yield Select(
                        [
                            (v[1] if self.lang == "en" else v[0], k)
                            for k, v in PAYMENT_METHODS.items()
                        ],
                        value="cash",
                        allow_blank=False,
                        id="payment",
                        compact=True,
                    )
                yield Static("", id="payment-error", classes="error field-error")
                with Horizontal(classes="field"):
                    yield Label(t("form.delivery"), classes="field-label")
                    yield Select(
                        [(delivery_label("counter", self.lang), "counter")],
                        value="counter",
                        allow_blank=False,
                        id="delivery",
                        compact=True,
                    )
                yield Static("", id="delivery-error", classes="error field-error")
                yield Static(f"{t('form.fee')}: —", id="fee")
                yield from self._field("note", t("form.note"))
        yield Static("", id="form-error", classes="error")
        yield CounterFooter()

    def on_mount(self) -> None:
        for error in self.query(".error"):
            error.display = False
        self.query_one("#rep").display = False
        self.query_one("#procedure-options").display = False
        self.query_one("#sets", Input).value = "1"
        self.query_one("#procedure", Input).placeholder = self.t("form.procedure.placeholder")
        self.query_one("#procedure", Input).focus()

    # -- procedure type-ahead ----------------------------------------------------------------

    @on(Input.Changed, "#procedure")
    def procedure_typed(self, event: Input.Changed) -> None:
        event.stop()
        options = self.query_one("#procedure-options", OptionList)
        query = event.value.strip()
        if not query:
            options.display = False
            return
        self.matches = self.desk.catalogue.search(query, limit=20)
        if not self.matches:
            options.set_options([Option(Text(self.t("form.procedure.nomatch"), style="italic"))])
            options.display = True
            return
        options.set_options(
            Option(Text.assemble((p.code, "bold"), "  ", p.name)) for p in self.matches
        )
        options.highlighted = 0
        options.display = True

    @on(Input.Submitted, "#procedure")
    def procedure_submitted(self, event: Input.Submitted) -> None:
        if looks_scanned(event.value):
            return
        event.stop()
        options = self.query_one("#procedure-options", OptionList)
        if not self.matches or not options.display:
            if self.procedure is not None:
                self.focus_next_field()
            return
        index = options.highlighted or 0
        self.choose(self.matches[min(index, len(self.matches) - 1)])
        self.query_one("#applicant-name", Input).focus()

    @on(OptionList.OptionSelected, "#procedure-options")
    def procedure_clicked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.matches):
            self.choose(self.matches[event.option_index])
            self.query_one("#applicant-name", Input).focus()

    def choose(self, procedure: Procedure) -> None:
        """Fill what the procedure decides: checklist, fee, delivery, and the due date."""
        self.procedure = procedure
        lang = self.lang
        self.query_one("#procedure-options").display = False
        self.set_error("procedure", "")
        chosen = Text.assemble((procedure.code, "bold"), " · ", procedure.name)
        self.query_one("#procedure-chosen", Static).update(chosen)
        due = self.desk.due_at(procedure)
        self.query_one("#due", Static).update(
            Text.assemble(
                (f"{self.t('form.due')}: ", "bold"),
                (fmt_vn(due), "bold reverse"),
                f"  ({procedure.duration_text(lang)})",
            )
        )
        self.query_one(DocumentList).set_items(documents_from_procedure(procedure))
        self.set_error("documents", "")
        fee = money(procedure.fee) + " đ" if procedure.fee else self.t("form.fee.free")
        fee_text = Text.assemble((f"{self.t('form.fee')}: ", "bold"), fee)
        if procedure.fee_note:
            fee_text.append(f"\n{procedure.fee_note}", style="dim")
        self.query_one("#fee", Static).update(fee_text)
        self.query_one("#payment", Select).value = "cash" if procedure.fee else "exempt"
        delivery = self.query_one("#delivery", Select)
        delivery.set_options([(delivery_label(k, lang), k) for k in procedure.delivery])
        delivery.value = procedure.delivery[0]

    # -- inline validation -----------------------------------------------------------------

    def _validator(self, widget_id: str) -> Callable[[str], object] | None:
        org = self.query_one("#applicant-kind", Checkbox).value
        v = validation
        checks: dict[str, Callable[[str], object]] = {
            "applicant-name": (
                (lambda s: v.organisation_name(s, "applicant.name"))
                if org
                else (lambda s: v.person_name(s, "applicant.name"))
            ),
            "applicant-id": (
                (lambda s: v.tax_code(s, "applicant.id_number"))
                if org
                else (lambda s: v.national_id(s, "applicant.id_number"))
            ),
            "applicant-phone": lambda s: v.optional(v.phone, s, "applicant.phone"),
            "applicant-email": lambda s: v.optional(v.email, s, "applicant.email"),
            "applicant-address": lambda s: v.optional(v.address, s, "applicant.address"),
            "rep-name": lambda s: v.person_name(s, "representative.name"),
            "rep-id": lambda s: v.national_id(s, "representative.id_number"),
            "rep-phone": lambda s: v.optional(v.phone, s, "representative.phone"),
            "sets": parse_sets,
        }
        if widget_id.startswith("rep-") and not self._rep_filled():
            return None
        return checks.get(widget_id)

    def _rep_filled(self) -> bool:
        return self.query_one("#rep").display and any(
            self.query_one(f"#rep-{k}", Input).value.strip() for k in ("name", "id", "phone")
        )

    def set_error(self, widget_id: str, message: str) -> None:
        for error in self.query(f"#{widget_id}-error"):
            assert isinstance(error, Static)
            error.update(Text(message))
            error.display = bool(message)
        if not message:
            form_error = self.query_one("#form-error", Static)
            if form_error.display and self.problem_field == widget_id:
                form_error.display = False

    def check_field(self, widget: Input) -> bool:
        """Validate one field the way the desk will; show or clear its message."""
        if widget.id is None:
            return True
        check = self._validator(widget.id)
        if check is None:
            self.set_error(widget.id, "")
            return True
        try:
            check(widget.value)
        except InvalidInput as exc:
            self.set_error(widget.id, exc.message(self.lang))
            return False
        self.set_error(widget.id, "")
        return True

    @on(Input.Blurred)
    def field_left(self, event: Input.Blurred) -> None:
        if event.input.id != "procedure" and event.input.value.strip():
            self.check_field(event.input)

    @on(Input.Changed)
    def field_changed(self, event: Input.Changed) -> None:
        """While a message is showing, re-check on every change so it goes once fixed."""
        widget = event.input
        if widget.id and widget.id != "procedure":
            errors = self.query(f"#{widget.id}-error")
            if errors and errors.first().display:
                self.check_field(widget)

    @on(Input.Submitted)
    def field_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "procedure" or looks_scanned(event.value):
            return
        event.stop()
        self.focus_next_field()

    def focus_next_field(self) -> None:
        self.focus_next()

    @on(Checkbox.Changed, "#applicant-kind")
    def kind_changed(self, event: Checkbox.Changed) -> None:
        org = event.value
        self.query_one("#applicant-name-label", Label).update(
            self.t("form.name.org" if org else "form.name.person")
        )
        self.query_one("#applicant-id-label", Label).update(
            self.t("form.id.org" if org else "form.id.person")
        )
        self.query_one("#applicant-id", Input).placeholder = (
            "10 / 13 chữ số" if org else "12 chữ số"
        )
        for widget_id in ("applicant-name", "applicant-id"):
            field = self.query_one(f"#{widget_id}", Input)
            if field.value.strip():
                self.check_field(field)

    def action_toggle_kind(self) -> None:
        box = self.query_one("#applicant-kind", Checkbox)
        box.value = not box.value

    def action_toggle_rep(self) -> None:
        rep = self.query_one("#rep")
        rep.display = not rep.display
        if rep.display:
            self.query_one("#rep-name", Input).focus()

    # -- saving ----------------------------------------------------------------------------

    def draft(self) -> DossierDraft:
        def value(widget_id: str) -> str:
            return self.query_one(f"#{widget_id}", Input).value

        if self.procedure is None:
            raise InvalidInput(
                "procedure",
                self.t("form.procedure.missing"),
                self.t("form.procedure.missing"),
            )
        org = self.query_one("#applicant-kind", Checkbox).value
        rep = None
        if self._rep_filled():
            rep = Representative(
                name=value("rep-name"),
                id_number=value("rep-id"),
                phone=value("rep-phone"),
                paper=value("rep-paper"),
            )
        payment = self.query_one("#payment", Select).value
        delivery = self.query_one("#delivery", Select).value
        return DossierDraft(
            procedure_code=self.procedure.code,
            applicant=Applicant(
                name=value("applicant-name"),
                id_number=value("applicant-id"),
                phone=value("applicant-phone"),
                email=value("applicant-email"),
                address=value("applicant-address"),
                kind="organisation" if org else "person",
            ),
            documents=tuple(self.query_one(DocumentList).items),
            representative=rep,
            sets_count=parse_sets(value("sets")),
            payment_method=str(payment),
            delivery=str(delivery),
            note=value("note"),
            ticket=self.capp.current_ticket(),
        )

    def show_problem(self, field: str, message: str) -> None:
        widget_id = widget_for(field)
        self.set_error(widget_id, message)
        form_error = self.query_one("#form-error", Static)
        form_error.update(Text(self.t("form.fix", msg=message)))
        self.problem_field = widget_id
        form_error.display = True
        target: Widget = self.query_one(f"#{widget_id}")
        if widget_id.startswith("rep-"):
            self.query_one("#rep").display = True
        target.focus()
        target.scroll_visible()

    def action_save(self) -> None:
        try:
            dossier = self.desk.receive(self.draft())
        except InvalidInput as exc:
            self.show_problem(exc.field, exc.message(self.lang))
            return
        except CounterError as exc:
            self.show_problem("procedure", exc.message(self.lang))
            return
        self.query_one("#form-error", Static).display = False
        self.capp.link_ticket(dossier)

        def opened(_: object) -> None:
            self.capp.show_received(dossier)

        self.app.push_screen(ReceivedModal(dossier), opened)

    def action_decline(self, form: str) -> None:
        """Mẫu 02 or 03 instead of a receipt: no appointment, the record is kept and printed."""
        try:
            draft = self.draft()
        except InvalidInput as exc:
            self.show_problem(exc.field, exc.message(self.lang))
            return
        if form == "supplement":
            missing = "\n".join(missing_documents(draft.documents))
            fields = [
                FormField("items", self.t("modal.items"), multiline=True, value=missing),
                FormField("reason", self.t("modal.reason")),
            ]
        else:
            fields = [FormField("reason", self.t("modal.reasons"), multiline=True)]

        saved: list[Dossier] = []

        def submit(values: dict[str, str]) -> str | None:
            items = [line.strip() for line in values.get("items", "").splitlines()]
            try:
                saved.append(
                    self.desk.decline_at_intake(
                        draft, form, items=[i for i in items if i], reason=values["reason"].strip()
                    )
                )
            except InvalidInput as exc:
                return f"{exc.message(self.lang)}\x00{exc.field}"
            except CounterError as exc:
                return exc.message(self.lang)
            return None

        def done(ok: bool | None) -> None:
            if ok and saved:
                self.capp.show_received(saved[0])

        title = self.t("form.intake_supplement" if form == "supplement" else "form.intake_refuse")
        self.app.push_screen(ActionForm(title, fields, submit), done)

    def action_cancel(self) -> None:
        self.dismiss()
