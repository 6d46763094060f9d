"""A USB scanner types a receipt URL (or a code) and Enter: the dossier opens from any screen."""

from __future__ import annotations

from textual.widgets import Input

from counter.desk import Desk
from screens.dossier import DossierScreen
from screens.intake import IntakeScreen
from screens.main import MainScreen
from screens.search import SearchScreen
from tests.support.tui import make_app, receipt_url, receive, wait_for


async def test_scan_url_on_main_screen(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    other = receive(desk, "Trần Thị Lan", id_number="001190012345")
    url = receipt_url(desk, dossier)
    assert url.startswith("HTTP://127.0.0.1:8700/TRA-CUU/")
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, MainScreen)
        await pilot.press(*url, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid
        # Scanning again from the detail screen (Caps Lock on: lower case) replaces it.
        await pilot.press(*receipt_url(desk, other).lower(), "enter")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, DossierScreen) and app.screen.dossier.uuid == other.uuid,
        )
        # Its letters never fired the detail screen's action keys.
        assert desk.get(dossier.uuid).status == "received"
        assert desk.get(other.uuid).status == "received"


async def test_scan_into_a_focused_input(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        search = app.screen
        field = search.query_one("#search-input", Input)
        await pilot.press(*"ng")
        await pilot.press(*receipt_url(desk, dossier), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid
        assert field.value == "ng"  # the scanned text was taken out of the field


async def test_scan_bare_code_while_filling_a_form(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, IntakeScreen))
        form = app.screen
        await pilot.press(*"khai sinh", "enter", *"Lê")
        await pilot.press(*dossier.code, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid
        # The form is kept underneath with what the officer typed.
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is form)
        assert form.query_one("#applicant-name", Input).value == "Lê"


async def test_pasted_url_submitted_in_an_input(officer_desk: Desk) -> None:
    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        field = app.screen.query_one("#search-input", Input)
        field.value = receipt_url(desk, dossier)
        await field.action_submit()
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid


async def test_unknown_code_is_a_clear_error(officer_desk: Desk) -> None:
    desk = officer_desk
    receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"000.00.12.H26-261126-039999", "enter")

        def told() -> bool:
            messages = [n.message for n in app._notifications]
            return any("Không tìm thấy hồ sơ" in m and "039999" in m for m in messages)

        await wait_for(pilot, told)
        assert isinstance(app.screen, MainScreen)


async def test_a_scanner_that_ends_with_tab_opens_the_dossier_too(officer_desk: Desk) -> None:
    """Some scanners are set to end with Tab; a whole receipt URL then opens like with Enter,
    while an officer's Tab after typing a code still only moves the focus."""
    from textual import events

    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+f")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        field = app.screen.query_one("#search-input", Input)
        await pilot.press(*dossier.code, "tab")
        await pilot.pause()
        assert isinstance(app.screen, SearchScreen) and app.focused is not field
        field.focus()
        await pilot.pause()
        field.value = "ng"
        field.cursor_position = 2
        for char in receipt_url(desk, dossier):  # one burst, as the scanner sends it
            app.post_message(events.Key(char, char))
        app.post_message(events.Key("tab", "\t"))
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid
        await wait_for(pilot, lambda: field.value == "ng")  # the scan was taken back out


async def test_scan_into_a_focused_multiline_field(officer_desk: Desk) -> None:
    """TextArea is imported by the first form that has one, not at start (#18): the scanner
    still knows it as a field, so the scanned URL is taken back out of it and opens the
    dossier, whatever was loaded when."""
    from textual.widgets import TextArea

    from screens.modals import ActionForm, FormField

    desk = officer_desk
    dossier = receive(desk)
    app = make_app(desk)
    async with app.run_test(size=(100, 30)) as pilot:
        form = ActionForm("Lý do", [FormField("reason", "Lý do", multiline=True)], lambda _: None)
        await app.push_screen(form)
        area = form.query_one("#field-reason", TextArea)
        area.focus()
        await pilot.press(*"ab")
        await wait_for(pilot, lambda: area.text == "ab")
        await pilot.press(*receipt_url(desk, dossier), "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DossierScreen))
        assert app.screen.dossier.uuid == dossier.uuid
        assert area.text == "ab"  # the scanned text was taken out of the field
