"""The intake form: type-ahead procedure, inline validation, Ctrl+S, confirmation, store."""

from __future__ import annotations

from textual.widgets import Input, Static

from counter.desk import Desk
from counter.timeutil import fmt_vn
from counter.validation import national_id
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.modals import ReceivedModal
from screens.widgets import DocumentList
from tests.support.tui import BIRTH, CONTRACT, make_app, text, wait_for


def _id_message(raw: str) -> str:
    try:
        national_id(raw)
    except Exception as exc:  # InvalidInput
        return str(exc)
    raise AssertionError("expected an invalid ID")


async def test_intake_validates_then_saves(officer_desk: Desk) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, MainScreen)
        before = desk.today().total
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        assert isinstance(form, IntakeScreen)
        assert app.focused is form.query_one("#procedure")

        # Type-ahead: diacritics optional; Enter picks the first match.
        await pilot.press(*"khai sinh")
        await pilot.press("enter")
        assert form.procedure is not None and form.procedure.code == BIRTH
        due = fmt_vn(desk.due_at(form.procedure))
        assert due in text(form.query_one("#due", Static))
        assert app.focused is form.query_one("#applicant-name")
        docs = form.query_one(DocumentList)
        assert len(docs.items) == len(form.procedure.documents)

        # Name, then an ID that is too short: the message shows under the field on blur.
        await pilot.press(*"Nguyễn Văn Đức", "tab", *"123", "tab")
        error = form.query_one("#applicant-id-error", Static)
        assert error.display
        assert text(error) == _id_message("123")

        # Saving anyway refuses, focuses the field, and nothing is stored.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.query_one("#form-error", Static).display)
        assert isinstance(app.screen, IntakeScreen)
        assert app.focused is form.query_one("#applicant-id")
        assert desk.today().total == before

        # Fix it: the message goes away as soon as the value is valid.
        await pilot.press("ctrl+u", *"001090012345")
        assert not error.display
        await pilot.press("tab", *"0912 345 678")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
        code = text(app.screen.query_one("#received-full"))
        assert code == "000.00.12.H26-261126-030001"

        saved = desk.by_code(code)
        assert desk.today().total == before + 1
        assert saved.procedure_code == BIRTH
        assert saved.applicant.name == "Nguyễn Văn Đức"
        assert saved.applicant.id_number == "001090012345"
        assert saved.applicant.phone == "0912345678"
        assert saved.applicant.kind == "person"
        assert saved.payment_method == "exempt"  # a free procedure
        assert saved.status == "received"
        assert len(saved.documents) == len(docs.items)

        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == saved.uuid


async def test_checklist_keys_and_fee(officer_desk: Desk) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        assert isinstance(form, IntakeScreen)
        await pilot.press(*CONTRACT, "enter")
        assert form.procedure is not None and form.procedure.code == CONTRACT
        assert "50.000 đ" in text(form.query_one("#fee"))
        form.query_one("#applicant-name", Input).value = "Trần Thị Lan"
        form.query_one("#applicant-id", Input).value = "001190012345"
        docs = form.query_one(DocumentList)
        docs.focus()
        await pilot.pause()
        first = docs.items[0]
        await pilot.press("plus", "plus", "minus", "o")
        assert docs.items[0].count == first.count + 1
        assert docs.items[0].form != first.form
        await pilot.press("space")
        assert docs.items[0].received is not first.received

        # Missing a required paper: refused with the desk's message, focus on the checklist.
        await pilot.press("ctrl+s")
        assert app.focused is docs
        assert "Thiếu giấy tờ bắt buộc" in text(form.query_one("#documents-error"))
        await pilot.press("space")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
        saved = desk.today().dossiers[0]
        assert saved.procedure_code == CONTRACT
        assert saved.fee_amount == 50000
        assert saved.payment_method == "cash"
        assert saved.documents[0].count == first.count + 1


async def test_organisation_and_representative(officer_desk: Desk) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        assert isinstance(form, IntakeScreen)
        await pilot.press(*CONTRACT, "enter")
        await pilot.press("ctrl+o")
        await pilot.press(*"Công ty TNHH An Bình", "tab", *"0101245486")
        await pilot.press("ctrl+r")
        assert app.focused is form.query_one("#rep-name")
        await pilot.press(*"Lê Văn Nam", "tab", *"001085012345", "ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, ReceivedModal))
        saved = desk.today().dossiers[0]
        assert saved.applicant.kind == "organisation"
        assert saved.applicant.name == "Công ty TNHH An Bình"
        assert saved.representative is not None
        assert saved.representative.name == "Lê Văn Nam"


async def test_no_procedure_is_refused(officer_desk: Desk) -> None:
    app = make_app(officer_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press("ctrl+s")
        assert "Chọn thủ tục" in text(app.screen.query_one("#procedure-error"))
        assert officer_desk.today().total == 0
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
