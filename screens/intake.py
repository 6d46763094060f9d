"""Receiving a dossier, keyboard only, in under a minute.

Tab order follows the paper: procedure (type-ahead, Enter picks), name, ID, phone, email,
address, date of birth and sex (optional, last: a scanned card fills them), then the checklist
(already filled from the procedure), sets, payment, delivery, note.
Each field is checked when it loses focus with the same validation functions the desk uses, so
the message under the field is the one a save would give; Ctrl+S saves, and a refusal focuses
the field it names. A scanned chip ID card fills the applicant.

Nothing typed is thrown away: the form is kept in the store as a draft (a moment after each
change, and at once when the officer leaves it), so Esc, F12, another screen or a crash leave
it to come back with F2; only Ctrl+D discards it, after asking.

Above 500 lines on purpose: this is one screen whose fields, per-field checks, draft keeping
and scanned-card filling change together (a new field touches all four); the parts that
stand alone already live elsewhere (FieldInput in fields.py, validation in the core, the key
gate in keygate.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from rich.text import Text
from textual import events, on
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
    DocumentItem,
    Dossier,
    DossierDraft,
    Representative,
    documents_from_procedure,
    missing_documents,
    parse_birth_date,
    parse_sex,
    sex_label,
)
from counter.errors import CounterError, InvalidInput
from counter.idcard import IdCard
from counter.timeutil import fmt_vn
from screens.base import CounterScreen
from screens.fields import FieldInput
from screens.footer import CounterFooter
from screens.i18n import money
from screens.keys import bind
from screens.modals import ActionForm, ActionMenu, FormField, MenuItem, ReceivedModal
from screens.scan import looks_scanned
from screens.widgets import DocumentList

# The desk's InvalidInput.field → the widget that shows it.
FIELD_WIDGETS = {
    "procedure": "procedure",
    "applicant.kind": "applicant-kind",
    "applicant.name": "applicant-name",
    "applicant.id_number": "applicant-id",
    "applicant.birth_date": "applicant-birth",
    "applicant.sex": "applicant-sex",
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

    # The first field takes the focus as the form is shown: Textual's default focuses the
    # scrolling form first, and moving off it restyles the whole form.
    AUTO_FOCUS = "#procedure"

    BINDINGS = [  # noqa: RUF012
        bind("dossier.save", "save", priority=True),
        bind("form.kind", "toggle_kind", show=False),
        bind("form.representative", "toggle_rep", show=False),  # the form says Ctrl+R
        bind("form.intake_supplement", "decline('supplement')", priority=True),
        bind("form.intake_refuse", "decline('refusal')", priority=True),
        bind("form.cancel", "cancel"),
        bind("form.discard", "discard", priority=True),
    ]

    # Seconds after the last change before the draft is written (each write is an fsync).
    DRAFT_DELAY_S = 0.4
    # The plain text fields a draft keeps, by widget id.
    TEXT_FIELDS = (
        "procedure",
        "applicant-name",
        "applicant-id",
        "applicant-phone",
        "applicant-email",
        "applicant-address",
        "applicant-birth",
        "applicant-sex",
        "rep-name",
        "rep-id",
        "rep-phone",
        "rep-paper",
        "sets",
        "note",
    )

    def __init__(self, card: IdCard | None = None) -> None:
        super().__init__()
        self.procedure: Procedure | None = None
        self.matches: list[Procedure] = []
        self.problem_field = ""
        self.card = card
        self.restoring = False
        self.saved = False
        self.has_draft = False
        self._draft_timer: Any = None
        # Built ahead of time by the app (see CounterApp.prebuild_intake): started when shown.
        self.prebuilt = False
        self.started = False

    # -- layout ----------------------------------------------------------------------------

    def _field(self, widget_id: str, text: str, placeholder: str = "") -> ComposeResult:
        with Horizontal(classes="field", id=f"{widget_id}-row"):
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
                yield Static("", id="card-info", classes="hint")
                yield from self._field("applicant-name", t("form.name.person"))
                yield from self._field("applicant-id", t("form.id.person"), t("form.id.digits"))
                yield from self._field("applicant-phone", t("form.phone"), "09xxxxxxxx")
                yield from self._field("applicant-email", t("form.email"))
                yield from self._field("applicant-address", t("form.address"))
                yield from self._field("applicant-birth", t("form.birth"), t("form.birth.hint"))
                yield from self._field("applicant-sex", t("form.sex"), t("form.sex.hint"))
                yield Checkbox(t("form.organisation"), id="applicant-kind", compact=True)
                yield Static(t("form.rep.toggle"), id="rep-hint", classes="hint")
                with Vertical(id="rep"):
                    yield Static(t("form.rep"), classes="section")
                    yield from self._field("rep-name", t("form.rep.name"))
                    yield from self._field("rep-id", t("form.rep.id"), t("form.id.digits"))
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
        if not self.query("#procedure"):  # built ahead as the app closed: nothing to set up
            return
        self.query_one("#procedure", Input).placeholder = self.t("form.procedure.placeholder")
        self.clear()
        if not self.prebuilt:
            self.start()
            self.started = True
        else:
            self.call_after_refresh(self.lay_out_ahead)

    def lay_out_ahead(self) -> None:
        """A form built ahead of time is also sized and laid out ahead (the width classes,
        every widget's region): otherwise that work, a restyle and a reflow of the whole
        form, is done when F2 shows it."""
        if self.is_current or not self.is_attached:
            return
        size = self.app.size
        self.post_message(events.Resize(size, size))
        self._refresh_layout(size)
        self.call_after_refresh(self.capp.between_citizens)

    async def _on_idle(self, event: events.Idle) -> None:
        """Textual lays out only the screen on show; a form built ahead goes on settling after
        `lay_out_ahead` (its selects and footer mount their parts, its fields get their
        text), and each change asks for a layout that would otherwise wait for F2: a reflow
        of the whole form on show. Off screen, it lays itself out again as soon as it is
        idle, until nothing more changes."""
        if (
            self._layout_required
            and self.prebuilt
            and not self.started
            and not self.is_current
            and self.is_attached
        ):
            self._layout_required = False
            self._refresh_layout(self.app.size)
        await super()._on_idle(event)

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """A form built ahead of time starts when it is first shown: the draft and the card
        are the ones of that moment, not of when it was built. (One handler: Textual calls
        either `_on_screen_resume` or `on_screen_resume` of a class, not both.)"""
        first_show = not self.started
        if first_show and self.prebuilt:
            # Styled moments ago, off screen, under the same stylesheet: restyling a hundred
            # widgets again is the largest part of showing it.
            event.refresh_styles = False
        super()._on_screen_resume(event)
        if first_show:
            self.started = True
            self.start()

    def start(self) -> None:
        """Focus the first field, bring back a kept draft, take a scanned card."""
        self.query_one("#procedure", Input).focus()
        draft = self.desk.load_draft()
        self.has_draft = draft is not None
        if draft:
            self.restore(draft)
            self.notify(self.t("form.draft.restored"), timeout=4)
        if self.card is not None:
            self.fill_from_card(self.card)

    def clear(self) -> None:
        """Every field back to how a new form starts."""
        self.procedure = None
        self.matches = []
        self.problem_field = ""
        self.saved = False
        for error in self.query(".error"):
            error.display = False
        for widget_id in self.TEXT_FIELDS:
            self.query_one(f"#{widget_id}", Input).value = "1" if widget_id == "sets" else ""
        self.query_one("#applicant-kind", Checkbox).value = False
        self.query_one("#rep").display = False
        self.query_one("#procedure-options").display = False
        self.query_one("#card-info").display = False
        self.query_one("#procedure-chosen", Static).update(self.t("form.procedure.none"))
        self.query_one("#due", Static).update(f"{self.t('form.due')}: {self.t('form.due.none')}")
        self.query_one("#fee", Static).update(f"{self.t('form.fee')}: —")
        self.query_one(DocumentList).set_items([])
        self.query_one("#payment", Select).value = "cash"
        delivery = self.query_one("#delivery", Select)
        delivery.set_options([(delivery_label("counter", self.lang), "counter")])
        delivery.value = "counter"

    # -- the draft: kept in the store, never lost ------------------------------------------

    def is_filled(self) -> bool:
        """Anything the officer entered (the defaults alone are not worth keeping)."""
        if self.procedure is not None:
            return True
        return any(
            self.query_one(f"#{w}", Input).value.strip() for w in self.TEXT_FIELDS if w != "sets"
        )

    def form_state(self) -> dict[str, Any]:
        """Everything on the form, as plain data (what the draft stores)."""
        return {
            "procedure_code": self.procedure.code if self.procedure else "",
            "fields": {w: self.query_one(f"#{w}", Input).value for w in self.TEXT_FIELDS},
            "organisation": self.query_one("#applicant-kind", Checkbox).value,
            "representative": bool(self.query_one("#rep").display),
            "documents": [asdict(d) for d in self.query_one(DocumentList).items],
            "payment": str(self.query_one("#payment", Select).value),
            "delivery": str(self.query_one("#delivery", Select).value),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Put a kept form back; anything that no longer fits (a procedure gone from the
        catalogue, a field renamed) is skipped rather than refused."""
        self.restoring = True
        try:
            code = str(state.get("procedure_code", ""))
            if code:
                with contextlib.suppress(CounterError):
                    self.choose(self.desk.catalogue.get(code))
            fields = state.get("fields", {})
            if isinstance(fields, dict):
                for widget_id in self.TEXT_FIELDS:
                    if widget_id in fields and widget_id != "procedure":
                        self.query_one(f"#{widget_id}", Input).value = str(fields[widget_id])
            self.query_one("#applicant-kind", Checkbox).value = bool(state.get("organisation"))
            self.query_one("#rep").display = bool(state.get("representative"))
            docs = state.get("documents")
            if self.procedure is not None and isinstance(docs, list):
                with contextlib.suppress(TypeError):
                    self.query_one(DocumentList).set_items([DocumentItem(**d) for d in docs])
            for widget_id in ("payment", "delivery"):
                select: Select[str] = self.query_one(f"#{widget_id}", Select)
                value = state.get(widget_id)
                if value in {v for _label, v in select._options}:
                    select.value = value
        finally:
            self.restoring = False
        self.query_one("#procedure-options").display = False
        if self.procedure is not None:
            self.query_one("#applicant-name", Input).focus()

    def keep_draft(self) -> None:
        """Write the draft now (leaving the form, the app closing); nothing if empty."""
        if self._draft_timer is not None:
            self._draft_timer.stop()
            self._draft_timer = None
        if self.saved or not self.started or not self.is_mounted:
            return  # a form built ahead and never shown holds nothing of the officer's
        try:
            if self.is_filled():
                self.desk.save_draft(self.form_state())
                self.has_draft = True
            elif self.has_draft:  # emptied by hand: the kept copy goes too
                self.desk.discard_draft()
                self.has_draft = False
        except CounterError:
            pass  # logged out underneath: nothing to keep it under

    def draft_changed(self) -> None:
        if self.restoring or self.saved or not self.started:
            return
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self._draft_timer = self.set_timer(self.DRAFT_DELAY_S, self.keep_draft)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.draft_changed()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self.draft_changed()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.draft_changed()

    def on_screen_suspend(self) -> None:
        self.keep_draft()

    # -- a scanned chip ID card --------------------------------------------------------------

    def fill_from_card(self, card: IdCard) -> None:
        """The applicant from the card: name, number, date of birth, sex, address."""
        self.query_one("#applicant-kind", Checkbox).value = False
        sex = ""
        with contextlib.suppress(InvalidInput):  # a sex the card spells oddly: left to type
            sex = sex_label(parse_sex(card.sex), self.lang)
        for widget_id, value in (
            ("applicant-name", card.name),
            ("applicant-id", card.number),
            ("applicant-birth", f"{card.birth:%d/%m/%Y}"),
            ("applicant-sex", sex),
            ("applicant-address", card.address),
        ):
            if value:
                field = self.query_one(f"#{widget_id}", Input)
                field.value = value
                self.check_field(field)
        info = self.query_one("#card-info", Static)
        info.update(self.t("card.info", birth=f"{card.birth:%d/%m/%Y}", sex=card.sex or "—"))
        info.display = True
        self.notify(self.t("card.filled"), timeout=3)
        target = "#applicant-phone" if self.procedure is not None else "#procedure"
        self.query_one(target, Input).focus()
        self.draft_changed()

    # -- procedure type-ahead ----------------------------------------------------------------

    @on(Input.Changed, "#procedure")
    def procedure_typed(self, event: Input.Changed) -> None:
        event.stop()
        self.draft_changed()
        if self.restoring:
            return
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
        if not self.matches:
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
                (fmt_vn(due, lang), "bold reverse"),
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
            "applicant-birth": lambda s: parse_birth_date(s, today=self.desk.now().date()),
            "applicant-sex": parse_sex,
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
        self.query_one("#applicant-id", Input).placeholder = self.t(
            "form.tax.digits" if org else "form.id.digits"
        )
        for widget_id in ("applicant-name", "applicant-id"):
            field = self.query_one(f"#{widget_id}", Input)
            if field.value.strip():
                self.check_field(field)
        for widget_id in ("applicant-birth", "applicant-sex"):  # a person's only
            self.query_one(f"#{widget_id}-row").display = not org
            self.set_error(widget_id, "")

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
                birth_date=value("applicant-birth"),
                sex=value("applicant-sex"),
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
        self.saved = True  # the desk dropped the draft in the same transaction
        self.has_draft = False
        if self._draft_timer is not None:
            self._draft_timer.stop()
        self.query_one("#form-error", Static).display = False
        self.capp.link_ticket(dossier)

        def after(choice: str | None) -> None:
            self.capp.after_received(dossier, choice)

        received = ReceivedModal(dossier)
        self.app.push_screen(received, after)
        self.capp.retire(received)  # removed between citizens, not as Enter opens a form
        self.capp.prebuild_intake_soon()  # Enter = next citizen opens a form already built

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
            self.saved = True  # the desk dropped the draft in the same transaction
            self.has_draft = False
            if self._draft_timer is not None:
                self._draft_timer.stop()
            return None

        def done(ok: bool | None) -> None:
            if ok and saved:
                self.capp.after_received(saved[0], "open")  # its record, Mẫu 02/03 printing

        title = self.t("form.intake_supplement" if form == "supplement" else "form.intake_refuse")
        self.app.push_screen(ActionForm(title, fields, submit), done)

    def action_cancel(self) -> None:
        """Esc closes the suggestion list if it is open; otherwise leaves, keeping the draft."""
        options = self.query_one("#procedure-options")
        if options.display:
            options.display = False
            return
        filled = self.is_filled()
        self.keep_draft()
        self.dismiss()
        if filled:
            self.notify(self.t("form.draft.kept"), timeout=4)

    def action_discard(self) -> None:
        """Throw the form away, after asking (the safe answer comes first)."""
        if not self.is_filled():
            self.desk.discard_draft()
            self.dismiss()
            return
        items = [
            MenuItem("keep", "1", self.t("form.discard.keep")),
            MenuItem("discard", "2", self.t("form.discard.yes")),
        ]

        def chosen(choice: str | None) -> None:
            if choice == "discard":
                self.saved = True  # nothing more to keep
                self.has_draft = False
                self.desk.discard_draft()
                self.dismiss()
                self.notify(self.t("form.discarded"), timeout=3)

        self.app.push_screen(ActionMenu(self.t("form.discard.title"), items), chosen)
