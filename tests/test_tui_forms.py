"""Forms from the keyboard: Mẫu 03 at intake instead of a receipt, Mẫu 04 on a dossier (through
the Ctrl+X action menu: no plain letter acts on a dossier)."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from counter.desk import Desk
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.modals import ActionForm, ActionMenu
from tests.support.builders import draft_for
from tests.support.tui import make_app, wait_for


async def test_refusal_at_intake_from_the_keyboard(officer_desk: Desk) -> None:
    desk = officer_desk
    app = make_app(desk)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        await pilot.press(*"khai sinh", "enter")
        await pilot.press(*"Nguyễn Văn Đức", "tab", *"001090012345", "tab")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        # No reason: refused in the dialog, nothing saved.
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.query_one("#action-error").display)
        assert isinstance(app.screen, ActionForm) and desk.today().total == 0
        app.screen.query_one("#field-reason", TextArea).text = "Không thuộc thẩm quyền"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        saved = desk.today().dossiers[0]
        assert (saved.status, saved.due_at, saved.closed_reason) == (
            "refused",
            None,
            "Không thuộc thẩm quyền",
        )
        assert [j.kind for j in desk.print_jobs(saved.uuid)] == ["refusal"]


async def test_new_appointment_from_the_dossier_screen(officer_desk: Desk) -> None:
    desk = officer_desk
    d = desk.receive(draft_for(desk, "1.004194"))
    app = make_app(desk)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(DossierScreen(d))
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        await pilot.press("h")  # a plain letter does nothing on a dossier
        await pilot.pause()
        assert isinstance(app.screen, DossierScreen)
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionForm))
        app.screen.query_one("#field-new_day", Input).value = "03/12/2026"
        app.screen.query_one("#field-reason", Input).value = "Chờ xác minh"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        moved = desk.get(d.uuid)
        assert moved.extended_due_at is not None and f"{moved.due_at:%d/%m/%Y}" == "03/12/2026"
        assert desk.print_jobs(d.uuid)[-1].kind == "extension"


async def test_transfer_received_from_the_dossier_screen(officer_desk: Desk) -> None:
    desk = officer_desk
    cash = desk.receive(draft_for(desk, "1.004194", payment_method="cash"))
    d = desk.receive(draft_for(desk, "1.004194", payment_method="transfer"))
    app = make_app(desk)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(DossierScreen(cash))
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        menu = app.screen
        assert isinstance(menu, ActionMenu)
        assert "paid" not in [i.key for i in menu.items]  # nothing to confirm on a cash dossier
        await pilot.press("p")  # not in the menu: it closes, unchosen
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert desk.get(cash.uuid).payment_state == "paid_cash"
        app.pop_screen()
        app.push_screen(DossierScreen(d))
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))

        def asks() -> bool:
            screen = app.screen
            return isinstance(screen, ActionMenu) and [i.key for i in screen.items] == ["no", "yes"]

        await pilot.press("p")  # a plain letter does nothing on a dossier
        await pilot.pause()
        assert desk.get(d.uuid).payment_state == "to_pay_transfer"
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("p")
        # Recording a payment cannot be undone: it asks, and the first answer keeps things.
        await wait_for(pilot, asks)
        await pilot.press("1")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert desk.get(d.uuid).payment_state == "to_pay_transfer"
        await pilot.press("ctrl+x")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionMenu))
        await pilot.press("p")
        await wait_for(pilot, asks)
        await pilot.press("2")
        await wait_for(pilot, lambda: desk.get(d.uuid).payment_state == "paid_transfer")
